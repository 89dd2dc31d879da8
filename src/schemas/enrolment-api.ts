import { type Static, Type } from '@sinclair/typebox';
import { GeoPoint, Id, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

/**
 * An enrolment code as typed on a site box: 12 characters of Crockford base32 (no I, L, O or U),
 * shown in groups of four. Dashes, spaces and lower case are accepted; O reads as 0, I and L as 1.
 */
export const EnrolmentCodeText = Type.String({
  minLength: 12,
  maxLength: 20,
  pattern: '^[0-9A-Za-z -]+$',
  description: 'The one-time code, like 7KQ2-M9XD-4T1B',
});

export const EnrolmentCodeRequest = Type.Object(
  {
    validForMinutes: Type.Optional(
      Type.Integer({ minimum: 10, maximum: 10_080, description: 'Default 1,440 (a day); at most a week' }),
    ),
  },
  closed,
);
export type EnrolmentCodeRequest = Static<typeof EnrolmentCodeRequest>;

export const EnrolmentCodeIssued = Type.Object(
  {
    siteId: Id,
    code: Type.String({ description: 'Shown once: give it to the installer; only its hash is kept' }),
    expiresAt: IsoTime,
  },
  closed,
);
export type EnrolmentCodeIssued = Static<typeof EnrolmentCodeIssued>;

export const EnrolmentState = Type.Object(
  {
    siteId: Id,
    state: Type.Union(
      [
        Type.Literal('none'),
        Type.Literal('code-issued'),
        Type.Literal('code-expired'),
        Type.Literal('enrolled'),
      ],
      { description: 'Of the latest code: none issued, waiting to be used, expired unused, or used' },
    ),
    codeIssuedAt: Nullable(IsoTime),
    codeIssuedBy: Nullable(Type.String()),
    expiresAt: Nullable(IsoTime),
    enrolledAt: Nullable(IsoTime),
    enrolledFrom: Nullable(Type.String({ description: 'Address the site box enrolled from' })),
    agentHostname: Nullable(Type.String()),
  },
  closed,
);
export type EnrolmentState = Static<typeof EnrolmentState>;

/** What a site box sends to enrol (no login: the code is the credential). */
export const EnrolRequest = Type.Object(
  {
    code: EnrolmentCodeText,
    hostname: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9._-]*$' })),
    agentVersion: Type.Optional(Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9.+_-]*$' })),
  },
  closed,
);
export type EnrolRequest = Static<typeof EnrolRequest>;

/** The site's identity as the registry holds it, and its broker credential (shown once). */
export const EnrolResult = Type.Object(
  {
    site: Type.Object(
      { id: Id, name: Type.String(), councilId: Id, hubId: Id, location: Nullable(GeoPoint) },
      closed,
    ),
    mqtt: Type.Object(
      {
        url: Type.String({ description: 'The broker as sites reach it' }),
        username: Type.String(),
        password: Type.String(),
      },
      closed,
    ),
    rotated: Type.Boolean({
      description: 'True when this replaced an earlier credential (a replacement box)',
    }),
  },
  closed,
);
export type EnrolResult = Static<typeof EnrolResult>;
