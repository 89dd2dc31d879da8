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
  councilId: string;
  state: CameraState;
  siteState: string;
  /** As the agent reported it: credentials removed. */
  streamUri: string | null;
  /** Where the registry says the site's cameras are: the only hosts a feed may connect to. */
  cameraNetworks: readonly string[];
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

export interface FeedEvents {
  /** A feed refused because the camera's reported address is outside its site's registry entry. */
  refused(camera: FeedCamera, code: string, message: string, user: FeedUser): Promise<void> | void;
  started(session: FeedSessionView, role: string): Promise<void> | void;
  ended(session: FeedSessionView, reason: FeedEndReason, role: string): Promise<void> | void;
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
    const address = checkStreamAddress(camera.streamUri, camera.cameraNetworks);
    if (!address.ok) {
      await this.options.events.refused(camera, address.code, address.message, user);
      throw new FeedError(
        409,
        'STREAM_ADDRESS_NOT_REGISTERED',
        `camera ${camera.id}'s stream address is not inside its site's registered camera networks: a hub operator must check the site's registration`,
      );
    }
    let upstream = this.upstreams.get(camera.id);
    if (!upstream || upstream.status === 'failed' || upstream.status === 'ended') {
      const onSite = [...this.upstreams.values()].filter((u) => u.siteId === camera.siteId).length;
      if (onSite >= this.options.limits.maxPerSite)
        throw new FeedError(
          429,
          'SITE_FEED_LIMIT',
          `site ${camera.siteId} already sends ${onSite} live feeds (limit ${this.options.limits.maxPerSite}): close one first`,
        );
      if (this.upstreams.size >= this.options.limits.maxTotal)
        throw new FeedError(
          429,
          'HUB_FEED_LIMIT',
          `the hub already pulls ${this.upstreams.size} live feeds (limit ${this.options.limits.maxTotal}): close one first`,
        );
      const credentials = this.options.credentials(camera);
      if (!credentials)
        throw new FeedError(
          409,
          'NO_FEED_CREDENTIALS',
          `the hub has no viewing credentials for camera ${camera.id}: add them to the feed credentials file`,
        );
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
      await this.close(id, 'failed');
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
    const segments = (await readdir(session.upstream.dir).catch(() => [] as string[]))
      .filter((f) => /^seg\d+\.ts$/.test(f))
      .sort();
    // The newest segment may still be being written; the one before it is complete.
    const segment = segments.length > 1 ? segments[segments.length - 2] : segments[0];
    if (!segment)
      throw new FeedError(503, 'FEED_STARTING', 'the feed has no video yet: try again in a second');
    const result = await runProcess(
      this.options.ffmpegPath,
      [
        '-v',
        'error',
        '-i',
        join(session.upstream.dir, segment),
        '-frames:v',
        '1',
        '-f',
        'image2',
        '-c:v',
        'mjpeg',
        'pipe:1',
      ],
      { timeoutMs: 5000, maxStdoutBytes: 5_000_000, now: Date.now },
    );
    if (result.exitCode !== 0 || result.stdout.length === 0)
      throw new FeedError(
        502,
        'SNAPSHOT_FAILED',
        'could not take a snapshot of the feed: try again in a few seconds',
      );
    return result.stdout;
  }

  async close(sessionId: string, reason: FeedEndReason): Promise<FeedSessionView | null> {
    const session = this.sessions.get(sessionId);
    if (!session) return null;
    this.sessions.delete(sessionId);
    const { upstream } = session;
    upstream.sessions.delete(sessionId);
    const ended = { ...session.view, status: upstream.status };
    if (upstream.sessions.size === 0) await this.stopUpstream(upstream);
    if (reason !== 'failed') await this.options.events.ended(ended, reason, session.role);
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
        await this.close(id, reason).catch((error: unknown) =>
          this.options.log.error({ err: error, session: id }, 'closing a feed session failed'),
        );
      }
    }
  }

  private async startUpstream(camera: FeedCamera, credentials: ViewerCredentials): Promise<Upstream> {
    const dir = join(
      this.options.dir,
      `${camera.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${randomBytes(4).toString('hex')}`,
    );
    await mkdir(dir, { recursive: true });
    const source = new URL(camera.streamUri as string);
    source.username = encodeURIComponent(credentials.username);
    source.password = encodeURIComponent(credentials.password);
    const timeout = rtspSocketTimeoutOption(this.options.ffmpegPath);
    let resolveExit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      resolveExit = resolve;
    });
    const command = ffmpeg(source.toString())
      .setFfmpegPath(this.options.ffmpegPath)
      // Only the protocols an RTSP(S) pull over TCP needs: never file, http, pipe or anything else
      // a crafted address or a server's answer might lead ffmpeg to open.
      .inputOptions(feedInputOptions(timeout, this.options.limits.startTimeoutMs))
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
        upstream.status = 'failed';
        const detail = summarise(stderr || error.message);
        upstream.error = plainFeedError(detail);
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
export function feedInputOptions(timeoutOption: string, startTimeoutMs: number): string[] {
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

/** What a user is told when a feed fails: plain language, never ffmpeg's text, a path or a URL. */
export function plainFeedError(detail: string): string {
  if (/401|unauthori[sz]ed|authentication/i.test(detail))
    return "the camera refused the hub's viewing credentials";
  if (/connection refused/i.test(detail)) return 'the camera did not accept a connection';
  if (/timed? ?out|timeout/i.test(detail)) return 'the camera did not answer in time';
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
