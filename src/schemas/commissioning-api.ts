import { type Static, Type } from '@sinclair/typebox';
import { Commissioning } from './commissioning.ts';
import { Id, IsoTime, Nullable } from './common.ts';
import { CommissioningPayload } from './payloads.ts';

const closed = { additionalProperties: false } as const;

/** A commissioning record as the hub keeps it, with the hub's judgement of it. */
export const CommissioningRecord = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9]{1,18}$' }),
    cameraId: Id,
    recordedAt: IsoTime,
    receivedAt: IsoTime,
    recordedBy: Type.String({ description: 'The installer, as they gave their name at the site' }),
    commissioning: Commissioning,
    measured: CommissioningPayload.properties.measured,
    judgement: Type.Object(
      {
        pixelDensityPxPerM: Nullable(
          Type.Number({ description: 'Measured width over the scene width at the design distance' }),
        ),
        requiredPxPerM: Type.Number({ description: 'For the purpose, BS EN 62676-4:2015 table' }),
        metPurpose: Nullable(
          Type.Boolean({ description: 'Null when nothing was measured or the geometry has no flat width' }),
        ),
        clockWithin5s: Nullable(Type.Boolean()),
        summary: Type.String(),
      },
      closed,
    ),
  },
  closed,
);
export type CommissioningRecord = Static<typeof CommissioningRecord>;
