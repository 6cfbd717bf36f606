import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  type OnModuleDestroy,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  WsException,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import {
  LIVE_NAMESPACE,
  type AlertChange,
  type AlertOperationReply,
  type AlertRecord,
  type AlertRefusal,
  type AlertSyncReply,
  type AssignAlertBody,
  type ClientToServerEvents,
  type Role,
  type ServerToClientEvents,
  type SessionUser,
} from '@citywatch/protocol';
import { Roles } from '../auth/auth.decorators';
import { WsRolesGuard } from '../auth/ws-auth';
import { HubEvents } from '../common/hub-events';
import { AlertRefusalError, visibilityOf } from '../alerts/alert-rules';
import { AlertsService } from '../alerts/alerts.service';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';

interface AlertSocketData {
  user?: SessionUser;
  /** Sets collecting the seqs pushed to this socket while a catch-up is prepared. */
  alertRecorders?: Set<Set<number>>;
  /** Recording from the connection until the first `alerts:sync` answers. */
  alertsBeforeSync?: Set<number> | null;
}

type AlertNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, AlertSocketData>;
type AlertSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, AlertSocketData>;

/** Roles that see every alert; each has its own room. */
const ALL_SEEING_ROLES: Role[] = ['admin', 'operator', 'viewer', 'traffic_police'];
/** Every alert room's name starts with this. */
const ALERT_ROOM_PREFIX = 'alerts:';
const roleRoom = (role: Role) => `${ALERT_ROOM_PREFIX}role:${role}`;
const departmentRoom = (id: string) => `${ALERT_ROOM_PREFIX}department:${id}`;
const areaRoom = (area: string) => `${ALERT_ROOM_PREFIX}area:${area}`;
/** Seqs remembered for one socket before its first sync, at most (past it the socket may see repeats). */
const RECORD_LIMIT = 50_000;
const WORKERS: Role[] = ['admin', 'operator', 'traffic_police', 'department_member'];

/** Turns any refusal (the service's, a guard's, a bad payload) into the acknowledgement the console waits for. */
@Catch()
export class AlertAckFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const ack = host.getArgs().findLast((arg) => typeof arg === 'function') as ((reply: unknown) => void) | undefined;
    ack?.({ ok: false, error: toRefusal(exception) });
  }
}

export function toRefusal(exception: unknown): AlertRefusal {
  if (exception instanceof AlertRefusalError) return exception.refusal;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 401) return { status, code: 'unauthenticated', message: exception.message };
    if (status === 403) return { status, code: 'forbidden', message: exception.message };
    if (status === 404) return { status, code: 'not_found', message: exception.message };
    return { status: 400, code: 'invalid', message: exception.message };
  }
  if (exception instanceof WsException) {
    const error = exception.getError();
    const message = typeof error === 'string' ? error : ((error as { message?: string }).message ?? 'refused');
    const status = (error as { status?: number }).status;
    if (status === 401) return { status, code: 'unauthenticated', message };
    return { status: 403, code: 'forbidden', message };
  }
  throw exception;
}

/**
 * Alerts over socket.io: every change is pushed to the rooms allowed to see it (by role, department and
 * area); `alerts:sync` catches a console up after a (re)connect; claim, assign, resolve and the rest answer
 * through acknowledgements. Several replicas share rooms through the Redis adapter (see RedisIoAdapter).
 */
@WebSocketGateway({ namespace: LIVE_NAMESPACE })
@UseFilters(AlertAckFilter)
// Nest's global guards do not reach gateways: @Roles on socket events is enforced by this guard.
@UseGuards(WsRolesGuard)
export class AlertsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() private server!: AlertNamespace;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly alerts: AlertsService,
    private readonly events: HubEvents,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  afterInit(): void {
    this.unsubscribe.push(this.events.on('alert.changed', (change) => this.push(change)));
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** The rooms a change goes to; socket.io delivers it once to a socket in several of them. */
  roomsFor(change: AlertChange): string[] {
    const rooms = ALL_SEEING_ROLES.map(roleRoom);
    if (change.alert.area) rooms.push(areaRoom(change.alert.area));
    if (change.alert.departmentId) rooms.push(departmentRoom(change.alert.departmentId));
    if (change.previousDepartmentId && change.previousDepartmentId !== change.alert.departmentId) {
      rooms.push(departmentRoom(change.previousDepartmentId));
    }
    return rooms;
  }

  push(change: AlertChange): void {
    this.server.to(this.roomsFor(change)).emit('alert:change', change);
  }

  handleConnection(socket: AlertSocket): void {
    const data = socket.data;
    data.alertRecorders = new Set();
    data.alertsBeforeSync = new Set();
    data.alertRecorders.add(data.alertsBeforeSync);
    socket.onAnyOutgoing((event: string, change: AlertChange) => {
      if (event !== 'alert:change' || !data.alertRecorders) return;
      for (const recorder of data.alertRecorders) {
        if (recorder.size < RECORD_LIMIT) recorder.add(change.seq);
      }
    });
    void socket.join(this.homeRooms(data.user));
  }

  /**
   * Catch-up: the alerts changed since `lastSeq`, each once at its latest state, leaving out what was already
   * pushed to this socket. The socket is in its rooms before the query, and the answer waits for the write in
   * flight to be announced, so nothing committed falls between the catch-up and the live stream.
   */
  @SubscribeMessage('alerts:sync')
  @Roles('admin', 'operator', 'traffic_police', 'department_member', 'viewer')
  async sync(@ConnectedSocket() socket: AlertSocket, @MessageBody() request: unknown): Promise<AlertSyncReply> {
    const { lastSeq, areas } = parseSync(request);
    const data = socket.data;
    const visibility = visibilityOf(data.user);
    if (visibility.all) {
      // Each sync sets the rooms anew (a console may sync again with other areas, or none; an empty list, as
      // in the catch-up, means every area): join the wanted rooms first, then leave the alert rooms of the
      // previous sync, so no change falls between the two.
      const wanted = areas && areas.length > 0 ? areas.map(areaRoom) : this.homeRooms(data.user);
      await socket.join(wanted);
      for (const room of [...socket.rooms]) {
        if (room.startsWith(ALERT_ROOM_PREFIX) && !wanted.includes(room)) await socket.leave(room);
      }
    }
    const recorder = data.alertsBeforeSync ?? new Set<number>();
    data.alertsBeforeSync = null;
    data.alertRecorders?.add(recorder);
    try {
      const result = await this.alerts.changedSince(data.user, lastSeq, visibility.all ? areas : undefined);
      await this.alerts.writesSettled();
      const alerts = result.alerts.filter((alert) => !recorder.has(alert.seq));
      return { ok: true, alerts, upToSeq: result.upToSeq, more: result.more };
    } finally {
      data.alertRecorders?.delete(recorder);
    }
  }

  @SubscribeMessage('alert:claim')
  @Roles('admin', 'operator')
  claim(
    @ConnectedSocket() socket: AlertSocket,
    @MessageBody() body: { alertId: string },
  ): Promise<AlertOperationReply> {
    return this.reply(() => this.alerts.claim(alertIdOf(body), this.context(socket)));
  }

  @SubscribeMessage('alert:assign')
  @Roles('admin', 'operator')
  assign(
    @ConnectedSocket() socket: AlertSocket,
    @MessageBody() body: { alertId: string } & AssignAlertBody,
  ): Promise<AlertOperationReply> {
    return this.reply(() => {
      const deadline = String(body?.deadline ?? '');
      if (typeof body?.departmentId !== 'string' || Number.isNaN(Date.parse(deadline))) {
        invalid('departmentId and an ISO 8601 deadline are required');
      }
      return this.alerts.assign(
        alertIdOf(body),
        { departmentId: body.departmentId, deadline, note: typeof body.note === 'string' ? body.note : undefined },
        this.context(socket),
      );
    });
  }

  @SubscribeMessage('alert:resolve')
  @Roles(...WORKERS)
  resolve(
    @ConnectedSocket() socket: AlertSocket,
    @MessageBody() body: { alertId: string; resolution: string },
  ): Promise<AlertOperationReply> {
    return this.reply(() =>
      this.alerts.resolve(alertIdOf(body), { resolution: text(body?.resolution, 'resolution') }, this.context(socket)),
    );
  }

  @SubscribeMessage('alert:false-alarm')
  @Roles(...WORKERS)
  falseAlarm(
    @ConnectedSocket() socket: AlertSocket,
    @MessageBody() body: { alertId: string; reason: string },
  ): Promise<AlertOperationReply> {
    return this.reply(() =>
      this.alerts.falseAlarm(alertIdOf(body), { reason: text(body?.reason, 'reason') }, this.context(socket)),
    );
  }

  @SubscribeMessage('alert:reopen')
  @Roles('admin', 'operator')
  reopen(
    @ConnectedSocket() socket: AlertSocket,
    @MessageBody() body: { alertId: string; reason: string },
  ): Promise<AlertOperationReply> {
    return this.reply(() =>
      this.alerts.reopen(alertIdOf(body), { reason: text(body?.reason, 'reason') }, this.context(socket)),
    );
  }

  @SubscribeMessage('alert:comment')
  @Roles(...WORKERS)
  comment(
    @ConnectedSocket() socket: AlertSocket,
    @MessageBody() body: { alertId: string; text: string },
  ): Promise<AlertOperationReply> {
    return this.reply(() =>
      this.alerts.comment(alertIdOf(body), { text: text(body?.text, 'text') }, this.context(socket)),
    );
  }

  private homeRooms(user: SessionUser | undefined): string[] {
    const visibility = visibilityOf(user);
    if (visibility.all) return [roleRoom(user?.role ?? 'viewer')];
    return visibility.departmentId ? [departmentRoom(visibility.departmentId)] : [];
  }

  private context(socket: AlertSocket) {
    return { actor: socket.data.user, ip: socket.handshake.address };
  }

  private async reply(operation: () => Promise<AlertRecord>): Promise<AlertOperationReply> {
    try {
      return { ok: true, alert: await operation() };
    } catch (error) {
      try {
        return { ok: false, error: toRefusal(error) };
      } catch {
        this.logger.error({ err: error }, 'alert operation failed');
        return { ok: false, error: { status: 400, code: 'invalid', message: 'the operation failed; try again' } };
      }
    }
  }
}

function invalid(message: string): never {
  throw new AlertRefusalError({ status: 400, code: 'invalid', message });
}

function alertIdOf(body: unknown): string {
  const id = (body as { alertId?: unknown } | undefined)?.alertId;
  const text = typeof id === 'number' ? String(id) : id;
  if (typeof text !== 'string' || !/^[0-9]{1,18}$/.test(text)) invalid('alertId must be an alert id');
  return text as string;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4000) invalid(`${name}: 1-4000 characters`);
  return value as string;
}

function parseSync(request: unknown): { lastSeq: number; areas?: string[] } {
  const body = (request ?? {}) as { lastSeq?: unknown; areas?: unknown };
  const lastSeq = body.lastSeq ?? 0;
  if (typeof lastSeq !== 'number' || !Number.isSafeInteger(lastSeq) || lastSeq < 0) {
    invalid('lastSeq must be a whole number, 0 or more');
  }
  if (body.areas === undefined) return { lastSeq: lastSeq as number };
  if (
    !Array.isArray(body.areas) ||
    body.areas.length > 100 ||
    !body.areas.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 100)
  ) {
    invalid('areas must be up to 100 area names');
  }
  return { lastSeq: lastSeq as number, areas: body.areas as string[] };
}
