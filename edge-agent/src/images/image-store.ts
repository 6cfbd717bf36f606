import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDeviceId } from '@citywatch/protocol';

/** `~` stands for `:`, which the protocol allows in event ids but Windows file names and some URL handlers do not. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.~-]{0,127}\.jpe?g$/;

/**
 * The file name of an event's picture: the event id with each `:` written as `~` (`~` is in no event
 * id, so two ids never share a name; both are safe in file names and URL paths), then `.jpg`. Every id
 * the protocol accepts (8-64 of `A-Z a-z 0-9 _ . : -`, starting with a letter or digit) gives a valid name.
 */
export function imageFileName(eventId: string): string {
  return `${eventId.replaceAll(':', '~')}.jpg`;
}

/**
 * Images the agent keeps for the hub to fetch (scene pictures too big to travel inline, snapshots):
 * `{root}/{deviceId}/{name}.jpg`, referred to as `{publicBaseUrl}/{deviceId}/{name}.jpg` when the
 * HTTP receiver serves them, otherwise as a file:// URL on the agent's machine.
 */
export class ImageStore {
  readonly root: string;

  constructor(
    root: string,
    private readonly publicBaseUrl?: string,
  ) {
    this.root = resolve(root);
  }

  async save(deviceId: string, name: string, jpeg: Buffer): Promise<string> {
    const path = this.requirePath(deviceId, name);
    await mkdir(join(this.root, deviceId), { recursive: true });
    const temporary = `${path}.part`;
    await writeFile(temporary, jpeg);
    await rename(temporary, path);
    return this.refOf(deviceId, name);
  }

  /** Copies a file into the store (a camera's upload, which stays until its event is spooled) and returns its reference. */
  async copyIn(deviceId: string, name: string, sourcePath: string): Promise<string> {
    const path = this.requirePath(deviceId, name);
    await mkdir(join(this.root, deviceId), { recursive: true });
    const temporary = `${path}.part`;
    await copyFile(sourcePath, temporary);
    await rename(temporary, path);
    return this.refOf(deviceId, name);
  }

  /** Moves an existing file into the store and returns its reference. */
  async adopt(deviceId: string, name: string, sourcePath: string): Promise<string> {
    const path = this.requirePath(deviceId, name);
    await mkdir(join(this.root, deviceId), { recursive: true });
    await rename(sourcePath, path);
    return this.refOf(deviceId, name);
  }

  refOf(deviceId: string, name: string): string {
    return this.publicBaseUrl
      ? `${this.publicBaseUrl.replace(/\/$/, '')}/${deviceId}/${name}`
      : `file://${join(this.root, deviceId, name)}`;
  }

  /** The file behind a device id and name, or undefined when either is not acceptable (no path tricks). */
  pathOf(deviceId: string, name: string): string | undefined {
    if (!isDeviceId(deviceId) || !FILE_NAME.test(name)) return undefined;
    return join(this.root, deviceId, name);
  }

  private requirePath(deviceId: string, name: string): string {
    const path = this.pathOf(deviceId, name);
    if (!path) throw new Error(`bad image name ${deviceId}/${name}`);
    return path;
  }
}
