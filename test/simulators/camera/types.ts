import { type Static, Type } from '@sinclair/typebox';

// Camera ids become URL path segments (RTSP path, control API), so keep them URL-safe.
export const CAMERA_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$';

export const SimVideoProfile = Type.Object(
  {
    width: Type.Integer({ minimum: 16, maximum: 3840, multipleOf: 2 }),
    height: Type.Integer({ minimum: 16, maximum: 2160, multipleOf: 2 }),
    fps: Type.Integer({ minimum: 1, maximum: 60 }),
    bitrateKbps: Type.Integer({ minimum: 16, maximum: 50_000 }),
  },
  { additionalProperties: false },
);
export type SimVideoProfile = Static<typeof SimVideoProfile>;

export const SimCameraSpec = Type.Object(
  {
    id: Type.String({ pattern: CAMERA_ID_PATTERN }),
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ maxLength: 128 }),
    /** The name the device announces in its WS-Discovery scopes (onvif://www.onvif.org/name/...); the id when absent. */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    manufacturer: Type.Optional(Type.String({ maxLength: 64 })),
    model: Type.Optional(Type.String({ maxLength: 64 })),
    firmwareVersion: Type.Optional(Type.String({ maxLength: 64 })),
    serialNumber: Type.Optional(Type.String({ maxLength: 64 })),
    profile: SimVideoProfile,
    /**
     * A second, smaller encoder stream (ONVIF profile `profile_sub`, RTSP path /cam/<id>/sub), as real
     * cameras offer for live view on phones and thin links. Without it the camera has the main profile only.
     */
    subProfile: Type.Optional(SimVideoProfile),
    /**
     * Video sources on the device: 1 for a camera; more for an encoder or recorder (NVR), which lists one
     * media profile per channel (profile_main for channel 1, profile_ch2, ...). Every channel carries the
     * main stream's test pattern.
     */
    channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    /**
     * false: the device offers no ONVIF media service (GetServices and GetCapabilities leave it out and its
     * address answers 404), as some access-control or I/O devices that still answer WS-Discovery do.
     */
    mediaService: Type.Optional(Type.Boolean()),
    /** POSIX TZ string as ONVIF's tt:TimeZone/tt:TZ carries it. */
    timeZone: Type.Optional(Type.String({ minLength: 3, maxLength: 64 })),
    ntp: Type.Optional(Type.Boolean()),
    /**
     * Recordings held on the device (ONVIF Profile G): one for a camera recording to its own card, one
     * per channel for a recorder (NVR). With any, the device serves recording search and events.
     */
    recordings: Type.Optional(
      Type.Array(
        Type.Object(
          {
            token: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
            sourceName: Type.Optional(Type.String({ maxLength: 64 })),
            retentionDays: Type.Number({ minimum: 0, maximum: 3650 }),
            /** The video source (channel) token its tamper events name. */
            sourceToken: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 64 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SimCameraSpec = Static<typeof SimCameraSpec>;

export interface SimCameraEndpoints {
  id: string;
  /** Device service xaddr, e.g. http://127.0.0.1:PORT/onvif/device_service */
  onvifUrl: string;
  /** Without credentials; the server asks for RTSP Digest auth. */
  rtspUrl: string;
  /** The sub-stream (profile_sub), for a camera with a subProfile only; same auth as rtspUrl. */
  subRtspUrl?: string;
  /** Needs HTTP Digest auth with the camera's credentials. */
  snapshotUrl: string;
  httpPort: number;
}

/** A camera's encoder streams: `main` always, `sub` when its spec has a subProfile. */
export type SimStreamName = 'main' | 'sub';

export const UK_TIME_ZONE = 'GMT0BST,M3.5.0/1,M10.5.0';

/** The stream a camera actually serves, after faults are applied. */
export interface MediaVariant {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  blank: boolean;
  /** What the lens sees (video faults); `normal` when absent. */
  view?: SimView;
}

/**
 * The commissioned view, or one of the video faults: the same frame for ever (frozen), out of focus
 * (blurred), or the camera turned to look elsewhere (turned).
 */
export type SimView = 'normal' | 'frozen' | 'blurred' | 'turned';

/** The test pattern seen through a view, as an ffmpeg lavfi source. */
export function viewSource(width: number, height: number, fps: number, view: SimView = 'normal'): string {
  const base = `testsrc2=size=${width}x${height}:rate=${fps}`;
  switch (view) {
    case 'normal':
      return base;
    case 'frozen':
      // The first frame repeated at the stream's rate: packets keep flowing, the picture never changes.
      return `${base},trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB`;
    case 'blurred':
      // A lens out of focus or smeared: detail spread over about 2% of the picture width.
      return `${base},gblur=sigma=${Math.max(2, Math.round(width / 50))}`;
    case 'turned':
      // The same kind of picture (same brightness, motion and detail) from another direction.
      return `${base},hflip,vflip`;
  }
}

export function variantKey(v: MediaVariant): string {
  const view = v.view && v.view !== 'normal' ? `testsrc2-${v.view}` : 'testsrc2';
  return `${v.width}x${v.height}-${v.fps}fps-${v.bitrateKbps}k-${v.blank ? 'black' : view}`;
}
