import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DeviceId, ImageRef, Timestamp, Version, withDescription } from './common';

export const COMMAND_NAMES = ['snapshot', 'config_update', 'ptz_preset', 'loudspeaker', 'reboot'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const RequestId = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'id the hub gives a command; the reply carries it back, in its topic and payload',
});

/** Envelope of every command; `params` is checked against the command's own schema by the agent. */
export const CommandPayload = Type.Object(
  {
    v: Version,
    requestId: RequestId,
    issuedAt: withDescription(Timestamp, 'when the hub issued the command'),
    expiresAt: Type.Optional(
      withDescription(Timestamp, 'the agent must not act on the command after this; later than issuedAt'),
    ),
    params: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
      description: "the command's parameters; their schema depends on the command name in the topic",
    }),
  },
  { additionalProperties: false, $id: 'Command' },
);
export type CommandPayload = Static<typeof CommandPayload>;

export const COMMAND_PARAMS = {
  snapshot: Type.Object(
    { channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'video channel; default 1' })) },
    { additionalProperties: false, description: 'take a picture now; the reply carries its imageRef' },
  ),
  config_update: Type.Object(
    {
      settings: Type.Record(
        Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_.]{0,63}$' }),
        Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]),
        {
          maxProperties: 64,
          // Without this a Record only checks the keys that match its pattern and lets any other key through.
          additionalProperties: false,
          description: 'agent settings to change, by dotted name',
        },
      ),
    },
    { additionalProperties: false, description: 'change agent settings' },
  ),
  ptz_preset: Type.Object(
    { preset: Type.Integer({ minimum: 1, maximum: 255, description: 'preset position number' }) },
    { additionalProperties: false, description: 'turn a PTZ camera to a stored preset' },
  ),
  loudspeaker: Type.Object(
    {
      message: Type.String({ minLength: 1, maxLength: 200, description: 'text to speak' }),
      repeat: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'times to say it; default 1' })),
    },
    { additionalProperties: false, description: 'speak a message through the loudspeaker at the device' },
  ),
  reboot: Type.Object(
    { delayS: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, description: 'seconds to wait; default 0' })) },
    { additionalProperties: false, description: 'restart the device' },
  ),
} satisfies Record<CommandName, TSchema>;

export type CommandParams = { [K in CommandName]: Static<(typeof COMMAND_PARAMS)[K]> };

export const CommandReplyPayload = Type.Object(
  {
    v: Version,
    requestId: withDescription(RequestId, 'the requestId of the command answered (the same as in the topic)'),
    deviceId: withDescription(DeviceId, 'the device; must equal the device id in the topic'),
    at: withDescription(Timestamp, 'when the agent finished (or refused) the command'),
    ok: Type.Boolean({ description: 'whether the command was carried out' }),
    error: Type.Optional(Type.String({ maxLength: 500, description: 'why not, when ok is false' })),
    result: Type.Optional(
      Type.Object(
        {
          imageRef: Type.Optional(withDescription(ImageRef, 'the picture a snapshot took')),
          message: Type.Optional(Type.String({ maxLength: 500, description: 'anything else worth telling' })),
        },
        { additionalProperties: false, description: 'what the command produced' },
      ),
    ),
  },
  { additionalProperties: false, $id: 'CommandReply' },
);
export type CommandReplyPayload = Static<typeof CommandReplyPayload>;
