import { type Static, Type } from '@sinclair/typebox';
import { Role } from './api.ts';
import { Id, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

/**
 * What an audit entry records. `config.*` are configuration changes, `export.*` downloads,
 * `feed.*` live feed attempts (who, camera, incident reference, reason): started, refused and failed
 * (with the refusal or failure code in `detail.code`), and ended; `snapshot.*` still pictures of a
 * camera asked for from its detail (who, camera, reason), taken or refused (with the code);
 * `config.source.*` mobile sources registered, re-keyed and retired, `source.duty` their missions and
 * shifts, `export.source-coverage` which sources covered a place (for disclosure).
 */
export const AuditKind = Type.Union([
  Type.Literal('login.success'),
  Type.Literal('login.refused'),
  Type.Literal('login.limited'),
  Type.Literal('auth.logout'),
  Type.Literal('auth.session.revoke'),
  Type.Literal('auth.password.change'),
  Type.Literal('export.report'),
  Type.Literal('export.audit'),
  Type.Literal('config.maintenance.create'),
  Type.Literal('config.maintenance.update'),
  Type.Literal('config.maintenance.end'),
  Type.Literal('config.maintenance.delete'),
  Type.Literal('config.compliance.assign'),
  Type.Literal('config.compliance.records'),
  Type.Literal('config.public-page'),
  Type.Literal('config.camera.geometry'),
  Type.Literal('config.site.mqtt-credentials'),
  Type.Literal('config.site.mqtt-credentials.revoke'),
  Type.Literal('config.user.create'),
  Type.Literal('config.user.update'),
  Type.Literal('config.user.delete'),
  Type.Literal('config.user.password'),
  Type.Literal('config.apikey.create'),
  Type.Literal('config.apikey.revoke'),
  Type.Literal('config.hub'),
  Type.Literal('config.council'),
  Type.Literal('config.site.register'),
  Type.Literal('config.site.update'),
  Type.Literal('config.site.move'),
  Type.Literal('config.camera.approve'),
  Type.Literal('config.camera.reject'),
  Type.Literal('config.camera.retire'),
  Type.Literal('config.notification.create'),
  Type.Literal('config.notification.update'),
  Type.Literal('config.notification.delete'),
  Type.Literal('config.notification.secret'),
  Type.Literal('config.notification.retry'),
  Type.Literal('alert.acknowledge'),
  Type.Literal('config.site.enrolment-code'),
  Type.Literal('site.enrol'),
  Type.Literal('site.enrol.refused'),
  Type.Literal('site.refused'),
  Type.Literal('feed.start'),
  Type.Literal('feed.end'),
  Type.Literal('feed.refused'),
  Type.Literal('feed.failed'),
  Type.Literal('snapshot.taken'),
  Type.Literal('snapshot.refused'),
  Type.Literal('config.source.create'),
  Type.Literal('config.source.key'),
  Type.Literal('config.source.retire'),
  Type.Literal('source.duty'),
  Type.Literal('export.source-coverage'),
]);
export type AuditKind = Static<typeof AuditKind>;

const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lowercase hex' });

export const AuditEntry = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Position in the chain: 1, 2, 3, ... without gaps' }),
    at: IsoTime,
    kind: AuditKind,
    actor: Type.String({ description: 'User name (for a refused login, the name that was tried)' }),
    role: Nullable(Role),
    councilId: Nullable(
      Type.String({ description: 'Council the entry concerns; council officers see these' }),
    ),
    subject: Nullable(
      Type.String({
        description: 'What was acted on, as type:id (camera:x, site:x, council:x, maintenance-window:7)',
      }),
    ),
    incidentRef: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    detail: Type.Record(Type.String(), Type.Unknown()),
    prevHash: Sha256Hex,
    hash: Sha256Hex,
  },
  closed,
);
export type AuditEntry = Static<typeof AuditEntry>;

const KindFilter = Type.String({
  pattern: '^[a-z]+(\\.[a-z-]+)*$',
  maxLength: 60,
  description: 'A kind (login.refused) or a group of kinds (login, config.maintenance)',
});

export const AuditFilter = Type.Object(
  {
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    kind: Type.Optional(KindFilter),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    cameraId: Type.Optional(Id),
    incidentRef: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  closed,
);
export type AuditFilter = Static<typeof AuditFilter>;

export const AuditQuery = Type.Object(
  {
    ...AuditFilter.properties,
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'Entries with seq below this (paging)' })),
  },
  closed,
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditPage = Type.Object(
  {
    entries: Type.Array(AuditEntry, { description: 'Newest first' }),
    nextBefore: Nullable(
      Type.Integer({ description: 'Pass as `before` for the next page; null at the end' }),
    ),
  },
  closed,
);
export type AuditPage = Static<typeof AuditPage>;

export const ChainProblemCode = Type.Union([
  Type.Literal('HASH_MISMATCH'),
  Type.Literal('PREV_HASH_MISMATCH'),
  Type.Literal('SEQ_GAP'),
  Type.Literal('SEQ_ORDER'),
  Type.Literal('TAIL_MISSING'),
  Type.Literal('HEAD_MISMATCH'),
  Type.Literal('HEAD_MISSING'),
]);
export type ChainProblemCode = Static<typeof ChainProblemCode>;

export const ChainProblem = Type.Object(
  {
    code: ChainProblemCode,
    seq: Type.Integer({ description: 'First entry (seq) where the chain is broken' }),
    message: Type.String(),
  },
  closed,
);
export type ChainProblem = Static<typeof ChainProblem>;

export const AuditVerifyResult = Type.Object(
  {
    ok: Type.Boolean(),
    checked: Type.Integer({ description: 'Entries checked before the first problem, or all of them' }),
    head: Nullable(Type.Object({ seq: Type.Integer(), hash: Sha256Hex }, closed)),
    problem: Nullable(ChainProblem),
    message: Type.String(),
  },
  closed,
);
export type AuditVerifyResult = Static<typeof AuditVerifyResult>;
