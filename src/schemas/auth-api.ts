import { type Static, Type } from '@sinclair/typebox';
import { Role } from './api.ts';
import { Id, IsoTime, Nullable, Strict } from './common.ts';

/** User names: lowercase letters, digits and . _ @ - (so they are safe in logs, URLs and CSV). */
export const Username = Type.String({
  pattern: '^[a-z0-9][a-z0-9._@-]{0,99}$',
  description: 'Lowercase letters, digits and . _ @ -, 1-100 characters',
});

export const MIN_PASSWORD_LENGTH = 12;

/** A new password; the server also refuses one that contains the user name. */
export const NewPassword = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: 200,
  description: `At least ${MIN_PASSWORD_LENGTH} characters, not containing the user name`,
});

export const UserView = Type.Object(
  {
    username: Username,
    role: Role,
    councilIds: Type.Array(Id),
    disabled: Type.Boolean(),
    createdAt: Nullable(IsoTime),
    passwordChangedAt: Nullable(IsoTime),
    lastLoginAt: Nullable(IsoTime),
  },
  Strict,
);
export type UserView = Static<typeof UserView>;

export const UserCreate = Type.Object(
  {
    username: Username,
    role: Role,
    councilIds: Type.Array(Id, { maxItems: 100, default: [] }),
    password: Type.Optional(NewPassword),
  },
  Strict,
);
export type UserCreate = Static<typeof UserCreate>;

export const UserUpdate = Type.Object(
  {
    role: Type.Optional(Role),
    councilIds: Type.Optional(Type.Array(Id, { maxItems: 100 })),
    disabled: Type.Optional(Type.Boolean()),
  },
  { ...Strict, minProperties: 1 },
);
export type UserUpdate = Static<typeof UserUpdate>;

/** An operator resetting a password: omit it to have one generated (shown once). */
export const PasswordReset = Type.Object({ password: Type.Optional(NewPassword) }, Strict);
export type PasswordReset = Static<typeof PasswordReset>;

/** A user changing their own password. */
export const PasswordChange = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: NewPassword },
  Strict,
);
export type PasswordChange = Static<typeof PasswordChange>;

/** Returned once when the hub generated the password. */
export const UserCreated = Type.Object(
  { user: UserView, password: Nullable(Type.String()), sessionsEnded: Type.Integer() },
  Strict,
);

export const SessionView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Username,
    createdAt: IsoTime,
    expiresAt: IsoTime,
    revokedAt: Nullable(IsoTime),
    revokedBy: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    current: Type.Boolean(),
  },
  Strict,
);
export type SessionView = Static<typeof SessionView>;

export const ApiKeyCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    role: Role,
    councilIds: Type.Array(Id, { maxItems: 100, default: [] }),
    expiresAt: Type.Optional(Nullable(IsoTime)),
  },
  Strict,
);
export type ApiKeyCreate = Static<typeof ApiKeyCreate>;

export const ApiKeyView = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9]{12}$' }),
    name: Type.String(),
    role: Role,
    councilIds: Type.Array(Id),
    createdBy: Type.String(),
    createdAt: IsoTime,
    expiresAt: Nullable(IsoTime),
    revokedAt: Nullable(IsoTime),
    lastUsedAt: Nullable(IsoTime),
  },
  Strict,
);
export type ApiKeyView = Static<typeof ApiKeyView>;

export const ApiKeyCreated = Type.Object(
  {
    key: Type.String({ description: 'Shown once: send as `Authorization: Bearer <key>`' }),
    apiKey: ApiKeyView,
  },
  Strict,
);

export const Me = Type.Object(
  {
    username: Type.String(),
    role: Role,
    councilIds: Type.Array(Id),
    kind: Type.Union([Type.Literal('session'), Type.Literal('apikey')]),
    sessionId: Nullable(Type.String()),
    expiresAt: Nullable(IsoTime),
  },
  Strict,
);
