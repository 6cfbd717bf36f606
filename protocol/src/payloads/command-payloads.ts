import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DeviceId, ImageRef, Timestamp, Version } from './common';

export const COMMAND_NAMES = ['snapshot', 'config_update', 'ptz_preset', 'loudspeaker', 'reboot'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const RequestId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

/** Envelope of every command; `params` is checked against the command's own schema by the agent. */
export const CommandPayload = Type.Object(
  {
    v: Version,
    requestId: RequestId,
    issuedAt: Timestamp,
    expiresAt: Type.Optional(Timestamp),
    params: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()),
  },
  { additionalProperties: false, $id: 'Command' },
);
export type CommandPayload = Static<typeof CommandPayload>;

export const COMMAND_PARAMS = {
  snapshot: Type.Object(
    { channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })) },
    { additionalProperties: false },
  ),
  config_update: Type.Object(
    {
      settings: Type.Record(
        Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_.]{0,63}$' }),
        Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]),
        { maxProperties: 64 },
      ),
    },
    { additionalProperties: false },
  ),
  ptz_preset: Type.Object({ preset: Type.Integer({ minimum: 1, maximum: 255 }) }, { additionalProperties: false }),
  loudspeaker: Type.Object(
    {
      message: Type.String({ minLength: 1, maxLength: 200 }),
      repeat: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    },
    { additionalProperties: false },
  ),
  reboot: Type.Object(
    { delayS: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })) },
    { additionalProperties: false },
  ),
} satisfies Record<CommandName, TSchema>;

export type CommandParams = { [K in CommandName]: Static<(typeof COMMAND_PARAMS)[K]> };

export const CommandReplyPayload = Type.Object(
  {
    v: Version,
    requestId: RequestId,
    deviceId: DeviceId,
    at: Timestamp,
    ok: Type.Boolean(),
    error: Type.Optional(Type.String({ maxLength: 500 })),
    result: Type.Optional(
      Type.Object(
        {
          imageRef: Type.Optional(ImageRef),
          message: Type.Optional(Type.String({ maxLength: 500 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: 'CommandReply' },
);
export type CommandReplyPayload = Static<typeof CommandReplyPayload>;
