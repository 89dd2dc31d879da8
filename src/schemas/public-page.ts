import { type Static, Type } from '@sinclair/typebox';
import { COARSEN_STEPS, LICENCES, type LicenceId } from '../public-page/licences.ts';
import { Id, IsoTime, Nullable } from './common.ts';

// A council's public transparency page: where its cameras are (coarsened as it chooses), why, who
// is responsible, the certification code and how the scheme performs. No live state, no feed,
// nothing personal. The council writes the text and switches the page on.

const closed = { additionalProperties: false } as const;
/** Free text shown to the public: printable, no control characters. */
const text = (maxLength: number, description: string) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]+$',
    description,
  });

export { COARSEN_STEPS, LICENCES, type LicenceId };

export const PublicPageSettings = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Publish the page (and its downloads) without login' }),
    purpose: text(
      2000,
      'Why the scheme exists, in plain words (e.g. to prevent and detect crime in the town centre)',
    ),
    responsibleBody: text(200, 'The body responsible for the scheme (the data controller)'),
    contact: text(
      300,
      'How the public contacts the scheme: an office address, a mailbox or a web page, never a person',
    ),
    coarsenM: Type.Union(
      COARSEN_STEPS.map((m) => Type.Literal(m)),
      { description: 'Show camera positions to the nearest this many metres (0: exact, with camera names)' },
    ),
    licence: Type.Union(
      (Object.keys(LICENCES) as LicenceId[]).map((id) => Type.Literal(id)),
      { description: 'The open licence of the downloads' },
    ),
  },
  closed,
);
export type PublicPageSettings = Static<typeof PublicPageSettings>;

export const PublicPageSettingsView = Type.Composite([
  PublicPageSettings,
  Type.Object({
    councilId: Id,
    url: Type.String({ description: 'Where the page is (answers 404 while it is switched off)' }),
    updatedBy: Type.String(),
    updatedAt: IsoTime,
  }),
]);
export type PublicPageSettingsView = Static<typeof PublicPageSettingsView>;

/** One place on the public map: a camera, or the cameras in one coarsened square. */
export const PublicCameraPlace = Type.Object(
  {
    lat: Type.Number(),
    lon: Type.Number(),
    cameras: Type.Integer({ minimum: 1 }),
    /** Only when positions are exact. */
    name: Nullable(Type.String()),
    purposes: Type.Array(Type.String()),
  },
  closed,
);
export type PublicCameraPlace = Static<typeof PublicCameraPlace>;

export const PublicPageData = Type.Object(
  {
    council: Type.Object({ id: Id, name: Type.String() }, closed),
    purpose: Type.String(),
    responsibleBody: Type.String(),
    contact: Type.String(),
    computedAt: IsoTime,
    cameraCount: Type.Integer({ minimum: 0, description: 'Approved cameras of the scheme now' }),
    positionsTo: Type.Integer({
      minimum: 0,
      description: 'Positions are rounded to this many metres (0: exact)',
    }),
    places: Type.Array(PublicCameraPlace),
    certification: Type.Object(
      {
        codes: Type.Array(Type.String(), {
          description: 'Certification codes the cameras are evaluated against',
        }),
        status: Type.Union(
          [
            Type.Literal('met'),
            Type.Literal('met_with_warnings'),
            Type.Literal('not_fully_assessed'),
            Type.Literal('not_met'),
            Type.Literal('not_evaluated'),
          ],
          { description: 'The worst of the cameras: not met if any fails a rule, and so on' },
        ),
        counts: Type.Object(
          {
            pass: Type.Integer(),
            warn: Type.Integer(),
            fail: Type.Integer(),
            not_evaluable: Type.Integer(),
          },
          closed,
        ),
        evaluatedAt: Nullable(IsoTime),
      },
      closed,
    ),
    availability: Type.Object(
      {
        from: IsoTime,
        to: IsoTime,
        label: Type.String(),
        share: Nullable(
          Type.Number({ description: '(up + degraded) / (up + degraded + down) of the counted cameras' }),
        ),
        counts: Type.String(),
      },
      closed,
    ),
    lastReviewAt: Nullable(IsoTime),
    licence: Type.Object({ id: Type.String(), name: Type.String(), url: Type.String() }, closed),
  },
  closed,
);
export type PublicPageData = Static<typeof PublicPageData>;
