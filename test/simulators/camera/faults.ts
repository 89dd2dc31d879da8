import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { PosixTzError, parsePosixTz } from './posix-tz.ts';

// One schema per fault kind: the control API validates request bodies against the params schema of the
// kind named in the URL, which gives precise error paths (a TypeBox union would only say "no match").
const Unreachable = Type.Object({ kind: Type.Literal('unreachable') }, { additionalProperties: false });
const Hang = Type.Object({ kind: Type.Literal('hang') }, { additionalProperties: false });
const WrongCredentials = Type.Object(
  {
    kind: Type.Literal('wrong-credentials'),
    // Real cameras differ: the ONVIF spec says 400 with a SOAP fault, several devices answer 200 + fault.
    httpStatus: Type.Optional(Type.Union([Type.Literal(200), Type.Literal(400), Type.Literal(401)])),
  },
  { additionalProperties: false },
);
const ClockSkew = Type.Object(
  {
    kind: Type.Literal('clock-skew'),
    // Bounded to a year so a typo does not push dates outside what the SOAP date fields can express.
    skewMs: Type.Integer({ minimum: -31_536_000_000, maximum: 31_536_000_000 }),
  },
  { additionalProperties: false },
);
const WrongTimezone = Type.Object(
  {
    kind: Type.Literal('wrong-timezone'),
    timeZone: Type.Optional(
      Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z<>0-9+\\-,.:/]+$' }),
    ),
  },
  { additionalProperties: false },
);
const NoNtp = Type.Object({ kind: Type.Literal('no-ntp') }, { additionalProperties: false });
const FpsMismatch = Type.Object(
  { kind: Type.Literal('fps-mismatch'), fps: Type.Integer({ minimum: 1, maximum: 60 }) },
  { additionalProperties: false },
);
const ResolutionMismatch = Type.Object(
  {
    kind: Type.Literal('resolution-mismatch'),
    // Even sizes only: yuv420p H.264 cannot encode odd dimensions.
    width: Type.Integer({ minimum: 16, maximum: 3840, multipleOf: 2 }),
    height: Type.Integer({ minimum: 16, maximum: 2160, multipleOf: 2 }),
  },
  { additionalProperties: false },
);
// The stream is encoded at this bitrate while the profile still declares its own (a camera re-configured
// outside ONVIF, or an encoder starved of bits).
const BitrateMismatch = Type.Object(
  { kind: Type.Literal('bitrate-mismatch'), bitrateKbps: Type.Integer({ minimum: 16, maximum: 50_000 }) },
  { additionalProperties: false },
);
// Every frame is sent twice with the same RTP timestamp (new sequence numbers), as a misbehaving relay
// or proxy does: a probe that counts packets reports double the frame rate and bitrate.
const RepeatedPackets = Type.Object(
  { kind: Type.Literal('repeated-packets') },
  { additionalProperties: false },
);
// The secondary encoder is disabled (or crashed): the sub-stream's RTSP path answers 404 while the main
// stream keeps working. A no-op on a camera without a sub profile.
const SubStreamDown = Type.Object({ kind: Type.Literal('sub-stream-down') }, { additionalProperties: false });
const BlankImage = Type.Object({ kind: Type.Literal('blank-image') }, { additionalProperties: false });
// Video faults (stream and, where a real camera's would too, its snapshot): see README "Faults".
const FrozenVideo = Type.Object({ kind: Type.Literal('frozen-video') }, { additionalProperties: false });
const BlackVideo = Type.Object({ kind: Type.Literal('black-video') }, { additionalProperties: false });
const BlurredVideo = Type.Object({ kind: Type.Literal('blurred-video') }, { additionalProperties: false });
const TurnedAway = Type.Object({ kind: Type.Literal('turned-away') }, { additionalProperties: false });
const StaleSnapshot = Type.Object({ kind: Type.Literal('stale-snapshot') }, { additionalProperties: false });
const UnrelatedSnapshot = Type.Object(
  { kind: Type.Literal('unrelated-snapshot') },
  { additionalProperties: false },
);

// Recording faults (devices with recordings): retention cut short (a disk replaced, a policy changed), a
// storage failure, a tamper alarm. The last two raise ONVIF events on set and clear.
const ShortRetention = Type.Object(
  {
    kind: Type.Literal('short-retention'),
    days: Type.Number({ minimum: 0, maximum: 3650 }),
    token: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  },
  { additionalProperties: false },
);
const StorageFailure = Type.Object(
  { kind: Type.Literal('storage-failure') },
  { additionalProperties: false },
);
const Tamper = Type.Object(
  {
    kind: Type.Literal('tamper'),
    sourceToken: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  },
  { additionalProperties: false },
);

// A slow but working camera: DESCRIBE is answered after delayMs (a busy encoder, a thin town link).
const SlowRtsp = Type.Object(
  { kind: Type.Literal('slow-rtsp'), delayMs: Type.Integer({ minimum: 1, maximum: 60_000 }) },
  { additionalProperties: false },
);

export const FAULT_SCHEMAS = {
  unreachable: Unreachable,
  hang: Hang,
  'wrong-credentials': WrongCredentials,
  'clock-skew': ClockSkew,
  'wrong-timezone': WrongTimezone,
  'no-ntp': NoNtp,
  'fps-mismatch': FpsMismatch,
  'resolution-mismatch': ResolutionMismatch,
  'bitrate-mismatch': BitrateMismatch,
  'repeated-packets': RepeatedPackets,
  'sub-stream-down': SubStreamDown,
  'blank-image': BlankImage,
  'frozen-video': FrozenVideo,
  'black-video': BlackVideo,
  'blurred-video': BlurredVideo,
  'turned-away': TurnedAway,
  'stale-snapshot': StaleSnapshot,
  'unrelated-snapshot': UnrelatedSnapshot,
  'short-retention': ShortRetention,
  'storage-failure': StorageFailure,
  tamper: Tamper,
  'slow-rtsp': SlowRtsp,
} as const;

export const SimFault = Type.Union(Object.values(FAULT_SCHEMAS));
export type SimFault = Static<typeof SimFault>;
export type SimFaultKind = SimFault['kind'];
export type SimFaultOf<K extends SimFaultKind> = Extract<SimFault, { kind: K }>;

export const FAULT_KINDS = Object.keys(FAULT_SCHEMAS) as SimFaultKind[];

// Chinese factory default: the misconfiguration seen most often on imported cameras in UK schemes.
export const DEFAULT_WRONG_TIME_ZONE = 'CST-8';

export class FaultValidationError extends Error {
  readonly code = 'SIM_BAD_FAULT';
}

export function isFaultKind(kind: string): kind is SimFaultKind {
  return Object.hasOwn(FAULT_SCHEMAS, kind);
}

function firstError(schema: TSchema, value: unknown, where: string): string | undefined {
  const error = Value.Errors(schema, value).First();
  if (!error) return undefined;
  const path = error.path === '' ? '(root)' : error.path;
  return `${where}: ${path} ${error.message}`;
}

/**
 * Validates a fault from an untrusted source. `where` names the origin (a URL or "setFault") so the
 * message says both what is wrong and where it came from.
 */
export function parseFault(kind: string, params: unknown, where: string): SimFault {
  if (!isFaultKind(kind)) {
    throw new FaultValidationError(
      `${where}: unknown fault kind '${kind}' (expected one of ${FAULT_KINDS.join(', ')})`,
    );
  }
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    throw new FaultValidationError(`${where}: fault parameters must be a JSON object`);
  }
  const candidate = { ...(params as Record<string, unknown> | undefined), kind };
  const schema = FAULT_SCHEMAS[kind];
  const message = firstError(schema, candidate, where);
  if (message) throw new FaultValidationError(message);
  const fault = Value.Clone(candidate) as SimFault;
  if (fault.kind === 'wrong-timezone' && fault.timeZone !== undefined) {
    try {
      parsePosixTz(fault.timeZone);
    } catch (error) {
      if (error instanceof PosixTzError)
        throw new FaultValidationError(`${where}: /timeZone ${error.message}`);
      throw error;
    }
  }
  return fault;
}
