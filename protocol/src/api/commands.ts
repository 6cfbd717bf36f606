import { Type, type Static } from '@sinclair/typebox';
import type { CommandName, CommandReplyPayload } from '../payloads/command-payloads';

/** How long `POST /api/devices/:id/commands` waits for the reply by default, and at most, seconds. */
export const COMMAND_WAIT_DEFAULT_S = 10;
export const COMMAND_WAIT_MAX_S = 30;
/** How long a command stays valid by default (the agent must not act on it later), and the bounds, seconds. */
export const COMMAND_EXPIRY_DEFAULT_S = 60;
export const COMMAND_EXPIRY_MIN_S = 5;
export const COMMAND_EXPIRY_MAX_S = 3600;

/**
 * Where a command stands: `pending` (sent, no reply yet), `replied` (the device answered in time, `ok` says
 * how), `expired` (no answer before `expiresAt`), `late` (the answer came after `expiresAt`; it is kept),
 * `unsent` (the hub could not hand it to the broker).
 */
export const COMMAND_STATUSES = ['pending', 'replied', 'expired', 'late', 'unsent'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** `POST /api/devices/:id/commands`: which command, its params (checked with `validateCommandParams`). */
export const SendCommandBody = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'the command, one of COMMAND_NAMES' }),
    params: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
        description: "the command's params; their schema depends on the name (default {})",
      }),
    ),
    timeoutS: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: COMMAND_WAIT_MAX_S,
        description: `seconds the request waits for the reply before answering 202 (default ${COMMAND_WAIT_DEFAULT_S}; 0 answers at once)`,
      }),
    ),
    expiresInS: Type.Optional(
      Type.Integer({
        minimum: COMMAND_EXPIRY_MIN_S,
        maximum: COMMAND_EXPIRY_MAX_S,
        description: `seconds after which the device must not act on it and it counts as expired (default ${COMMAND_EXPIRY_DEFAULT_S})`,
      }),
    ),
  },
  { additionalProperties: false, $id: 'SendCommand' },
);
export type SendCommandBody = Static<typeof SendCommandBody>;

/** `GET /api/devices/:id/commands`: newest first, paged with `before` (the `nextBefore` of the last page). */
export const CommandListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$' })),
  },
  { additionalProperties: false },
);
export type CommandListQuery = Static<typeof CommandListQuery>;

/** One command as the hub keeps it: what was asked, by whom, and the device's answer once there is one. */
export interface DeviceCommandRecord {
  requestId: string;
  deviceId: string;
  name: CommandName;
  params: Record<string, unknown>;
  status: CommandStatus;
  /** The administrator who sent it. */
  issuedBy: { id: string; username: string } | null;
  issuedAt: string;
  expiresAt: string;
  /** From the reply: whether the device carried it out; null while there is none. */
  ok: boolean | null;
  /** From the reply, or why the hub could not send it (`unsent`). */
  error: string | null;
  result: CommandReplyPayload['result'] | null;
  /** When the hub received the reply. */
  repliedAt: string | null;
}

export interface DeviceCommandPage {
  items: DeviceCommandRecord[];
  /** Pass as `before` for the next (older) page; null on the last one. */
  nextBefore: string | null;
}
