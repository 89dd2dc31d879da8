import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { Logger } from 'pino';
import { rtspSocketTimeoutOption } from '../../../edge-agent/src/media/binaries.ts';
import { runProcess } from '../../../edge-agent/src/media/run-process.ts';
import { checkStreamAddress } from '../../../src/registry/camera-networks.ts';
import type { CameraState } from '../../../src/schemas/camera-state.ts';
import type { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import type { FeedUrlSigner } from './signed-url.ts';

export interface FeedLimits {
  /** Upstream pulls per site at once: town links are thin. */
  maxPerSite: number;
  /** Upstream pulls per hub at once. */
  maxTotal: number;
  /** A session nobody fetched anything from for this long is closed. */
  idleTimeoutMs: number;
  /** A session (and its URL) lasts at most this long. */
  sessionTtlMs: number;
  /** How long to wait for the first playlist before giving up on the camera. */
  startTimeoutMs: number;
}

export interface FeedCamera {
  id: string;
  name: string;
  siteId: string;
  /** Null for a mobile source: it belongs to a police unit, not to a council. */
  councilId: string | null;
  state: CameraState;
  siteState: string;
  /** As the agent reported it: credentials removed. */
  streamUri: string | null;
  /** Where the registry says the site's cameras are: the only hosts a feed may connect to. */
  cameraNetworks: readonly string[];
  /** Schemes its stream may use (default RTSP and RTSPS; a mobile source's may be RTMP too). */
  streamSchemes?: ReadonlySet<string>;
  /** Pulled without viewing credentials when the hub holds none (a source whose stream needs none). */
  credentialsOptional?: boolean;
}

export interface ViewerCredentials {
  username: string;
  password: string;
}

/** View-only RTSP credentials the hub holds for pulling feeds (camera admin credentials stay at the edge). */
export type CredentialSource = (camera: FeedCamera) => ViewerCredentials | null;

export interface FeedUser {
  sub: string;
  role: string;
}

export type FeedEndReason = 'closed' | 'idle' | 'expired' | 'failed' | 'shutdown';

/** Why a feed that was asked for produced no video, or stopped producing it. */
export interface FeedFailure {
  /** FEED_START_TIMEOUT (no video within feeds.startTimeoutMs), FEED_FAILED (the pull would not open), STREAM_LOST (it stopped after playing). */
  code: 'FEED_START_TIMEOUT' | 'FEED_FAILED' | 'STREAM_LOST';
  message: string;
}

export interface FeedEvents {
  /** A feed refused because the camera's reported address is outside its site's registry entry. */
  refused(camera: FeedCamera, code: string, message: string, user: FeedUser): Promise<void> | void;
  started(session: FeedSessionView, role: string): Promise<void> | void;
  ended(session: FeedSessionView, reason: FeedEndReason, role: string): Promise<void> | void;
  /** A session that failed: in place of its end (a session that never started has no start either). */
  failed(session: FeedSessionView, failure: FeedFailure, role: string): Promise<void> | void;
}

export class FeedError extends Error {
  /** The message is for the user even for 5xx (which camera failed and how): the error handler sends it. */
  readonly expose = true;

  constructor(
    readonly statusCode: 404 | 409 | 429 | 502 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Upstream {
  cameraId: string;
  siteId: string;
  dir: string;
  command: ffmpeg.FfmpegCommand;
  pid: number | null;
  sessions: Set<string>;
  status: 'starting' | 'live' | 'failed' | 'ended';
  error: string | null;
  /** Set with status 'failed' while starting: whether the start limit ran out or the pull failed. */
  startFailure: FeedFailure['code'] | null;
  exited: Promise<void>;
  hasExited: boolean;
}

interface Session {
  view: FeedSessionView;
  role: string;
  expiresAtMs: number;
  lastAccessMs: number;
  upstream: Upstream;
}

const FILE = /^(index\.m3u8|seg\d{1,9}\.ts)$/;
const SWEEP_MS = 1000;
/** A still is scaled down to at most this width (a thumbnail to check a view, not evidence). */
export const STILL_MAX_WIDTH = 640;
const STILL_MAX_BYTES = 2_000_000;
/** ffmpeg output options for one JPEG frame on stdout. */
const STILL_OUTPUT = [
  '-map',
  '0:v:0',
  '-frames:v',
  '1',
  '-vf',
  `scale='min(${STILL_MAX_WIDTH},iw)':-2`,
  '-f',
  'image2',
  '-c:v',
  'mjpeg',
  '-q:v',
  '4',
  'pipe:1',
];
const KILL_GRACE_MS = 2000;

/** Replaces the userinfo of any URL in a message, so a camera password never reaches a log or a client. */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@');
}

/**
 * Live feeds: one ffmpeg per camera pulls its RTSP stream and remuxes it to HLS without
 * re-encoding (-c copy) into a directory of its own; every viewer has a session of its own (for the
 * audit log, expiry and idleness) on the shared upstream, so a second viewer costs the town link
 * nothing. Limits are on upstream pulls per site and per hub. Sessions end when closed, idle or
 * expired; the last session of an upstream stops its ffmpeg and removes its files.
 */
export class FeedManager {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly sessions = new Map<string, Session>();
  /** One-frame pulls running now, per site (snapshots asked for while no feed of the camera runs). */
  private readonly stillPulls = new Map<string, number>();
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly options: {
      dir: string;
      ffmpegPath: string;
      limits: FeedLimits;
      signer: FeedUrlSigner;
      credentials: CredentialSource;
      events: FeedEvents;
      log: Logger;
      now: () => number;
    },
  ) {}

  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id, 'shutdown')));
  }

  list(): FeedSessionView[] {
    return [...this.sessions.values()].map((s) => ({ ...s.view, status: s.upstream.status }));
  }

  get(sessionId: string): FeedSessionView | null {
    const s = this.sessions.get(sessionId);
    return s ? { ...s.view, status: s.upstream.status } : null;
  }

  /** The ffmpeg process of a camera's upstream, if one runs (tests check it is gone after idling). */
  upstreamPid(cameraId: string): number | null {
    return this.upstreams.get(cameraId)?.pid ?? null;
  }

  async open(
    camera: FeedCamera,
    user: FeedUser,
    incidentRef: string,
    reason: string,
  ): Promise<FeedSessionView> {
    await this.checkPullable(camera, user);
    let upstream = this.upstreams.get(camera.id);
    if (!upstream || upstream.status === 'failed' || upstream.status === 'ended') {
      const credentials = this.admitPull(camera, 'close one first');
      upstream = await this.startUpstream(camera, credentials);
    }
    const id = randomBytes(16).toString('hex');
    const nowMs = this.options.now();
    const expiresAtMs = nowMs + this.options.limits.sessionTtlMs;
    const prefix = this.options.signer.prefix(id, expiresAtMs);
    const view: FeedSessionView = {
      id,
      cameraId: camera.id,
      siteId: camera.siteId,
      councilId: camera.councilId,
      user: user.sub,
      incidentRef,
      reason,
      startedAt: new Date(nowMs).toISOString(),
      expiresAt: new Date(expiresAtMs).toISOString(),
      url: `${prefix}index.m3u8`,
      snapshotUrl: `${prefix}snapshot.jpg`,
      status: upstream.status,
    };
    const session: Session = { view, role: user.role, expiresAtMs, lastAccessMs: nowMs, upstream };
    this.sessions.set(id, session);
    upstream.sessions.add(id);
    try {
      await this.waitLive(upstream);
    } catch (error) {
      await this.close(id, 'failed', {
        code: upstream.startFailure ?? 'FEED_FAILED',
        message: upstream.error ?? 'the camera stream could not be opened',
      });
      throw error;
    }
    // Idleness counts from when the viewer has the URL, not from when the camera was first asked.
    session.lastAccessMs = this.options.now();
    try {
      // No feed without its audit entry: if it cannot be written, the session does not open.
      await this.options.events.started({ ...view, status: upstream.status }, user.role);
    } catch (error) {
      await this.close(id, 'failed');
      throw error;
    }
    return { ...view, status: upstream.status };
  }

  /**
   * The checks every pull from a camera passes before anything connects, in this order: the camera
   * is not down, its site's link is online, it has reported a stream, and that stream's address is
   * inside its site's registered camera networks (a refusal of the address is reported to `events`).
   */
  private async checkPullable(camera: FeedCamera, user: FeedUser): Promise<void> {
    if (camera.state === 'down')
      throw new FeedError(
        409,
        'CAMERA_DOWN',
        `camera ${camera.id} (${camera.name}) is down: there is no video to show`,
      );
    if (camera.siteState !== 'online')
      throw new FeedError(
        409,
        'SITE_OFFLINE',
        `the link to site ${camera.siteId} is ${camera.siteState}: camera ${camera.id} cannot be reached`,
      );
    if (!camera.streamUri)
      throw new FeedError(409, 'NO_STREAM', `camera ${camera.id} has not reported a stream address yet`);
    // Before anything connects or any credential is attached: the address must be rtsp(s) to a host
    // inside the site's registered camera networks (a stolen or misconfigured site box cannot point
    // the hub's ffmpeg, with the hub's viewing credentials, at another host or a local file).
    const address = checkStreamAddress(camera.streamUri, camera.cameraNetworks, camera.streamSchemes);
    if (!address.ok) {
      await this.options.events.refused(camera, address.code, address.message, user);
      throw new FeedError(
        409,
        'STREAM_ADDRESS_NOT_REGISTERED',
        `camera ${camera.id}'s stream address is not inside its site's registered camera networks: a hub operator must check the site's registration`,
      );
    }
  }

  /**
   * One still frame of a camera on demand (the camera detail's snapshot), as a JPEG at most
   * STILL_MAX_WIDTH pixels wide. From a running feed of the camera when there is one (no second pull
   * over the town's link); otherwise one short pull, bounded by feeds.startTimeoutMs, that counts
   * against the site's and the hub's pull limits while it runs.
   */
  async still(camera: FeedCamera, user: FeedUser): Promise<Buffer> {
    await this.checkPullable(camera, user);
    const running = this.upstreams.get(camera.id);
    if (running?.status === 'live') return this.frameOf(running.dir);
    const credentials = this.admitPull(camera, 'try again when one ends');
    const source = withCredentials(camera.streamUri as string, credentials);
    const { startTimeoutMs } = this.options.limits;
    this.stillPulls.set(camera.siteId, (this.stillPulls.get(camera.siteId) ?? 0) + 1);
    let result: Awaited<ReturnType<typeof runProcess>>;
    try {
      // The command line holds the viewing password: it is never logged.
      result = await runProcess(
        this.options.ffmpegPath,
        [
          '-v',
          'error',
          ...feedInputOptions(
            rtspSocketTimeoutOption(this.options.ffmpegPath),
            startTimeoutMs,
            source.protocol,
            credentials,
          ),
          '-i',
          source.toString(),
          ...STILL_OUTPUT,
        ],
        { timeoutMs: startTimeoutMs + 2000, maxStdoutBytes: STILL_MAX_BYTES, now: Date.now },
      );
    } finally {
      const left = (this.stillPulls.get(camera.siteId) ?? 1) - 1;
      if (left > 0) this.stillPulls.set(camera.siteId, left);
      else this.stillPulls.delete(camera.siteId);
    }
    if (result.exitCode !== 0 || result.stdout.length === 0) {
      const detail = result.timedOut ? 'timed out' : summarise(result.stderr);
      this.options.log.warn({ camera: camera.id, error: detail }, 'snapshot pull failed');
      throw new FeedError(502, 'SNAPSHOT_FAILED', `camera ${camera.id}: ${plainFeedError(detail)}`);
    }
    return result.stdout;
  }

  /**
   * A new pull from a camera within the site's and the hub's limits (a snapshot's one-frame pull
   * counts while it runs), with the hub's viewing credentials for it; refused with a FeedError.
   */
  private admitPull(camera: FeedCamera, advice: string): ViewerCredentials | null {
    const { maxPerSite, maxTotal } = this.options.limits;
    const onSite =
      [...this.upstreams.values()].filter((u) => u.siteId === camera.siteId).length +
      (this.stillPulls.get(camera.siteId) ?? 0);
    if (onSite >= maxPerSite)
      throw new FeedError(
        429,
        'SITE_FEED_LIMIT',
        `site ${camera.siteId} already sends ${onSite} live feeds (limit ${maxPerSite}): ${advice}`,
      );
    const total = this.upstreams.size + this.stillPullCount();
    if (total >= maxTotal)
      throw new FeedError(
        429,
        'HUB_FEED_LIMIT',
        `the hub already pulls ${total} live feeds (limit ${maxTotal}): ${advice}`,
      );
    const credentials = this.options.credentials(camera);
    if (!credentials && camera.credentialsOptional) return null;
    if (!credentials)
      throw new FeedError(
        409,
        'NO_FEED_CREDENTIALS',
        `the hub has no viewing credentials for camera ${camera.id}: add them to the feed credentials file`,
      );
    return credentials;
  }

  private stillPullCount(): number {
    let n = 0;
    for (const count of this.stillPulls.values()) n += count;
    return n;
  }

  /**
   * A file of a session, for the HTTP route: checks the session exists and marks it in use.
   * Returns null for an unknown session or a name that is not one of its files.
   */
  file(sessionId: string, name: string): { path: string; session: FeedSessionView } | null {
    const session = this.sessions.get(sessionId);
    if (!session || !FILE.test(name)) return null;
    session.lastAccessMs = this.options.now();
    return { path: join(session.upstream.dir, name), session: session.view };
  }

  /** A JPEG of the latest frame, from the newest complete segment (no second pull from the camera). */
  async snapshot(sessionId: string): Promise<Buffer | null> {
    const session = this.sessions.get(sessionId);
    if (!session) return null;
    session.lastAccessMs = this.options.now();
    return this.frameOf(session.upstream.dir);
  }

  /** A JPEG of the latest frame of a running upstream, from its newest complete segment. */
  private async frameOf(dir: string): Promise<Buffer> {
    const segments = (await readdir(dir).catch(() => [] as string[]))
      .filter((f) => /^seg\d+\.ts$/.test(f))
      .sort();
    // The newest segment may still be being written; the one before it is complete.
    const segment = segments.length > 1 ? segments[segments.length - 2] : segments[0];
    if (!segment)
      throw new FeedError(503, 'FEED_STARTING', 'the feed has no video yet: try again in a second');
    const result = await runProcess(
      this.options.ffmpegPath,
      ['-v', 'error', '-i', join(dir, segment), ...STILL_OUTPUT],
      { timeoutMs: 5000, maxStdoutBytes: STILL_MAX_BYTES, now: Date.now },
    );
    if (result.exitCode !== 0 || result.stdout.length === 0)
      throw new FeedError(
        502,
        'SNAPSHOT_FAILED',
        'could not take a snapshot of the feed: try again in a few seconds',
      );
    return result.stdout;
  }

  /** Ends a session; a `failure` is audited in place of the end (without one, a failed session is not). */
  async close(
    sessionId: string,
    reason: FeedEndReason,
    failure?: FeedFailure,
  ): Promise<FeedSessionView | null> {
    const session = this.sessions.get(sessionId);
    if (!session) return null;
    this.sessions.delete(sessionId);
    const { upstream } = session;
    upstream.sessions.delete(sessionId);
    const ended = { ...session.view, status: upstream.status };
    if (upstream.sessions.size === 0) await this.stopUpstream(upstream);
    if (reason !== 'failed') await this.options.events.ended(ended, reason, session.role);
    else if (failure) await this.options.events.failed(ended, failure, session.role);
    return ended;
  }

  private async sweep(): Promise<void> {
    const nowMs = this.options.now();
    for (const [id, s] of [...this.sessions]) {
      if (s.upstream.status === 'starting') continue; // open() is still waiting for it
      const reason: FeedEndReason | null =
        nowMs >= s.expiresAtMs
          ? 'expired'
          : nowMs - s.lastAccessMs >= this.options.limits.idleTimeoutMs
            ? 'idle'
            : s.upstream.status === 'failed'
              ? 'failed'
              : null;
      if (reason) {
        this.options.log.info({ session: id, camera: s.view.cameraId, reason }, 'feed session ended');
        const lost: FeedFailure | undefined =
          reason === 'failed'
            ? { code: 'STREAM_LOST', message: s.upstream.error ?? 'the camera stream ended' }
            : undefined;
        await this.close(id, reason, lost).catch((error: unknown) =>
          this.options.log.error({ err: error, session: id }, 'closing a feed session failed'),
        );
      }
    }
  }

  private async startUpstream(camera: FeedCamera, credentials: ViewerCredentials | null): Promise<Upstream> {
    const dir = join(
      this.options.dir,
      `${camera.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${randomBytes(4).toString('hex')}`,
    );
    await mkdir(dir, { recursive: true });
    const source = withCredentials(camera.streamUri as string, credentials);
    const timeout = rtspSocketTimeoutOption(this.options.ffmpegPath);
    let resolveExit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      resolveExit = resolve;
    });
    const command = ffmpeg(source.toString())
      .setFfmpegPath(this.options.ffmpegPath)
      // Only the protocols the pull needs (RTSP(S) over TCP, RTMP(S), or SRT): never file, http, pipe
      // or anything else a crafted address or a server's answer might lead ffmpeg to open.
      .inputOptions(
        feedInputOptions(timeout, this.options.limits.startTimeoutMs, source.protocol, credentials),
      )
      .outputOptions([
        '-map',
        '0:v:0',
        '-an',
        '-c',
        'copy',
        '-f',
        'hls',
        '-hls_time',
        '1',
        '-hls_list_size',
        '6',
        '-hls_flags',
        'delete_segments+omit_endlist',
        '-hls_segment_filename',
        join(dir, 'seg%05d.ts'),
      ])
      .output(join(dir, 'index.m3u8'));
    const upstream: Upstream = {
      cameraId: camera.id,
      siteId: camera.siteId,
      dir,
      command,
      pid: null,
      sessions: new Set(),
      status: 'starting',
      error: null,
      startFailure: null,
      exited,
      hasExited: false,
    };
    // The command line holds the viewing password: it is never logged.
    command.on('start', () => {
      const proc = (command as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc;
      upstream.pid = proc?.pid ?? null;
      this.options.log.info({ camera: camera.id, pid: upstream.pid }, 'feed upstream started');
    });
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      if (upstream.status !== 'ended') {
        const detail = summarise(stderr || error.message);
        upstream.error = plainFeedError(detail);
        // ffmpeg's RTSP timeout is the start limit: its timing out while starting is the limit running out.
        if (upstream.status === 'starting')
          upstream.startFailure = upstream.error === TIMED_OUT ? 'FEED_START_TIMEOUT' : 'FEED_FAILED';
        upstream.status = 'failed';
        // ffmpeg's own words go to the operators' log only: they can reveal what exists on the hub.
        this.options.log.warn({ camera: camera.id, error: detail }, 'feed upstream failed');
      }
      upstream.pid = null;
      upstream.hasExited = true;
      resolveExit();
    });
    command.on('end', () => {
      if (upstream.status !== 'ended') {
        upstream.status = 'failed';
        upstream.error = 'the camera stream ended';
      }
      upstream.pid = null;
      upstream.hasExited = true;
      resolveExit();
    });
    this.upstreams.set(camera.id, upstream);
    command.run();
    return upstream;
  }

  private async waitLive(upstream: Upstream): Promise<void> {
    const deadline = Date.now() + this.options.limits.startTimeoutMs;
    while (upstream.status === 'starting') {
      if (existsSync(join(upstream.dir, 'index.m3u8'))) {
        upstream.status = 'live';
        return;
      }
      if (Date.now() > deadline) {
        upstream.error = `no video within ${this.options.limits.startTimeoutMs} ms`;
        upstream.status = 'failed';
        upstream.startFailure = 'FEED_START_TIMEOUT';
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (upstream.status !== 'live')
      throw new FeedError(
        502,
        'FEED_FAILED',
        `camera ${upstream.cameraId} feed failed: ${upstream.error ?? 'unknown error'}`,
      );
  }

  private async stopUpstream(upstream: Upstream): Promise<void> {
    if (this.upstreams.get(upstream.cameraId) === upstream) this.upstreams.delete(upstream.cameraId);
    upstream.status = 'ended';
    // ffmpeg is spawned asynchronously: give a just-started one a moment to have a process to stop.
    for (let i = 0; i < 20 && upstream.pid === null && !upstream.hasExited; i++)
      await new Promise((r) => setTimeout(r, 50));
    if (!upstream.hasExited) {
      upstream.command.kill('SIGTERM');
      const killer = setTimeout(() => upstream.command.kill('SIGKILL'), KILL_GRACE_MS);
      await upstream.exited;
      clearTimeout(killer);
    }
    await rm(upstream.dir, { recursive: true, force: true });
    this.options.log.info({ camera: upstream.cameraId }, 'feed upstream stopped');
  }
}

/**
 * ffmpeg's input options for a feed. The RTSP socket timeout is the feed's own start timeout: a fixed
 * 5 s made every slow but working camera (answering in 6 s of a 10 s start limit) fail.
 */
export function feedInputOptions(
  timeoutOption: string,
  startTimeoutMs: number,
  scheme = 'rtsp:',
  credentials: ViewerCredentials | null = null,
): string[] {
  if (scheme === 'srt:')
    // SRT (a mobile source's stream; ffmpeg built with libsrt): its own protocol only (it carries its
    // UDP itself), as a caller, with a connect timeout in ms and a read timeout in us, and the
    // passphrase from the credentials file as an option of the connection, never in the address.
    return [
      '-protocol_whitelist',
      'srt',
      '-mode',
      'caller',
      '-connect_timeout',
      String(Math.round(startTimeoutMs)),
      '-timeout',
      String(Math.round(startTimeoutMs * 1000)),
      ...(credentials?.password ? ['-passphrase', credentials.password] : []),
    ];
  if (scheme === 'rtmp:' || scheme === 'rtmps:')
    // RTMP (a mobile source's stream): its own protocols only, and a read timeout in place of RTSP's.
    return [
      '-protocol_whitelist',
      'rtmp,rtmps,tcp,tls',
      '-rw_timeout',
      String(Math.round(startTimeoutMs * 1000)),
    ];
  return [
    '-protocol_whitelist',
    FEED_PROTOCOLS,
    '-rtsp_transport',
    'tcp',
    timeoutOption,
    String(Math.round(startTimeoutMs * 1000)),
  ];
}

/** Protocols ffmpeg may use for a feed: RTSP, RTSP over TLS, and the TCP and TLS beneath them. */
export const FEED_PROTOCOLS = 'rtsp,rtsps,tcp,tls';

const TIMED_OUT = 'the camera did not answer in time';

/** What a user is told when a feed fails: plain language, never ffmpeg's text, a path or a URL. */
export function plainFeedError(detail: string): string {
  if (/401|unauthori[sz]ed|authentication/i.test(detail))
    return "the camera refused the hub's viewing credentials";
  if (/connection refused/i.test(detail)) return 'the camera did not accept a connection';
  if (/timed? ?out|timeout/i.test(detail)) return TIMED_OUT;
  if (/404|not found/i.test(detail)) return 'the camera has no stream at the reported address';
  return 'the camera stream could not be opened';
}

/** The last meaningful lines of ffmpeg's stderr, URLs redacted. */
function summarise(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('ffmpeg version') && !/^(built with|configuration:|lib\w+\s)/.test(l));
  return redactUrls(lines.slice(-2).join(' ')).slice(0, 300) || 'ffmpeg stopped';
}

/** The stream's address with the hub's viewing credentials in it, when it holds any. */
function withCredentials(uri: string, credentials: ViewerCredentials | null): URL {
  const url = new URL(uri);
  // An SRT address has no user part: its passphrase goes as an option (feedInputOptions).
  if (credentials && url.protocol !== 'srt:') {
    url.username = encodeURIComponent(credentials.username);
    url.password = encodeURIComponent(credentials.password);
  }
  return url;
}
