import { type Static, Type } from '@sinclair/typebox';
import { Id, IsoTime } from './common.ts';

const closed = { additionalProperties: false } as const;

/** Tiles a camera wall holds at most: a 4x4 grid. */
export const WALL_MAX_TILES = 16;
/** Layouts one user may keep. */
export const WALL_MAX_LAYOUTS = 20;

export const WallLayoutName = Type.String({
  minLength: 1,
  maxLength: 60,
  pattern: '^\\S(.*\\S)?$',
  description: 'The layout name the user chose (no leading or trailing spaces)',
});

export const WallLayoutBody = Type.Object(
  {
    grid: Type.Integer({
      minimum: 1,
      maximum: 4,
      description: 'Grid side: 1 (1x1), 2 (2x2), 3 (3x3) or 4 (4x4)',
    }),
    cameraIds: Type.Array(Id, {
      maxItems: WALL_MAX_TILES,
      uniqueItems: true,
      description: 'Cameras, tile by tile',
    }),
  },
  closed,
);
export type WallLayoutBody = Static<typeof WallLayoutBody>;

export const WallLayout = Type.Object(
  {
    name: WallLayoutName,
    grid: WallLayoutBody.properties.grid,
    cameraIds: WallLayoutBody.properties.cameraIds,
    updatedAt: IsoTime,
  },
  closed,
);
export type WallLayout = Static<typeof WallLayout>;
