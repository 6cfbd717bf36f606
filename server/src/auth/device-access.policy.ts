import { Inject, Injectable } from '@nestjs/common';
import { isDeviceId } from '@citywatch/protocol';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import type { BrokerAccessPolicy } from '../platform/mqtt/embedded-broker-link';
import { DeviceCredentialsService } from './device-credentials.service';
import { deviceOfTopic, devicePublishAllowed, deviceSubscribeAllowed } from './device-acl';

type Client = { id: string; username?: string };

/**
 * Who may connect to the embedded broker and what they may do. Devices sign in with their id as the user
 * name and their secret as the password, then publish and subscribe only under their own topics.
 * With DEVICE_AUTH=optional a client may also connect without a user name, and then acts only for
 * devices that have no secret yet.
 */
@Injectable()
export class DeviceAccessPolicy implements BrokerAccessPolicy {
  private readonly root: string;

  constructor(
    private readonly credentials: DeviceCredentialsService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {
    this.root = config.TOPIC_ROOT;
  }

  private get optional(): boolean {
    return this.config.DEVICE_AUTH === 'optional';
  }

  async authenticate(_clientId: string, username: string | undefined, password: Buffer | undefined): Promise<boolean> {
    if (!username) return this.optional && !password;
    if (!isDeviceId(username)) return false;
    const verdict = await this.credentials.verify(username, password?.toString('utf8') ?? '');
    if (verdict === 'ok') return true;
    return verdict === 'none' && this.optional;
  }

  refusePublish(client: Client, topic: string): string | undefined {
    const deviceId = this.actingFor(client, topic);
    if (deviceId && devicePublishAllowed(this.root, deviceId, topic)) return undefined;
    return `client ${client.id} (${client.username ?? 'anonymous'}) may not publish on ${topic}`;
  }

  refuseSubscribe(client: Client, filter: string): string | undefined {
    const deviceId = this.actingFor(client, filter);
    if (deviceId && deviceSubscribeAllowed(this.root, deviceId, filter)) return undefined;
    return `client ${client.id} (${client.username ?? 'anonymous'}) may not subscribe to ${filter}`;
  }

  /** The device a client speaks for: its user name, or (anonymous, optional mode) a device with no secret. */
  private actingFor(client: Client, topic: string): string | undefined {
    if (client.username) return client.username;
    if (!this.optional) return undefined;
    const deviceId = deviceOfTopic(this.root, topic);
    return deviceId && !this.credentials.hasCredential(deviceId) ? deviceId : undefined;
  }
}

/**
 * Stands in for the policy until the Nest application has made it: the broker is created before Nest, and
 * starts only after it. Until bound it refuses everything.
 */
export class BrokerAccessHolder implements BrokerAccessPolicy {
  private policy?: BrokerAccessPolicy;

  bind(policy: BrokerAccessPolicy): void {
    this.policy = policy;
  }

  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<boolean> {
    return this.policy ? this.policy.authenticate(clientId, username, password) : Promise.resolve(false);
  }

  refusePublish(client: Client, topic: string): string | undefined {
    return this.policy ? this.policy.refusePublish(client, topic) : 'broker access policy not ready';
  }

  refuseSubscribe(client: Client, filter: string): string | undefined {
    return this.policy ? this.policy.refuseSubscribe(client, filter) : 'broker access policy not ready';
  }
}
