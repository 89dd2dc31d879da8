import Hls, { type ErrorData } from 'hls.js';
import { el, setText } from './dom.ts';
import type { FeedSessionView } from './incident-api.ts';

const SNAPSHOT_INTERVAL_MS = 3000;
const TICK_MS = 1000;
/** Video that has not moved for this long counts as failed playback: snapshots take over. */
const STALL_MS = 20_000;

/** What a tile shows: its data-phase attribute, for styles and tests. */
export type TilePhase = 'opening' | 'video' | 'snapshot' | 'refused' | 'ended';

/** Titles for the hub's refusals; the hub's own message follows. */
const REFUSAL_TITLE: Record<string, string> = {
  CAMERA_DOWN: 'Camera down',
  SITE_OFFLINE: 'Site offline',
  SITE_FEED_LIMIT: 'Site feed limit reached',
  HUB_FEED_LIMIT: 'Hub feed limit reached',
  FEED_FAILED: 'Feed failed',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Camera not found',
  NETWORK: 'Hub unreachable',
};

export interface FeedTileOptions {
  cameraId: string;
  cameraName: string;
  incidentRef: string;
  /** The close button: the grid ends the session and removes the tile. */
  onClose: (tile: FeedTile) => void;
}

/**
 * One live feed: the signed HLS playlist played with hls.js (native HLS where there is no MSE), a
 * snapshot that refreshes every few seconds when playback fails, the time left before the session
 * expires, and the hub's message when it refused the feed.
 */
export class FeedTile {
  readonly element: HTMLElement;
  session: FeedSessionView | null = null;
  private phase: TilePhase = 'opening';
  private readonly video = el('video', {
    class: 'feed-video',
    muted: true,
    autoplay: true,
    playsinline: true,
  });
  private readonly image = el('img', { class: 'feed-snapshot', hidden: true });
  private readonly message = el('p', { class: 'feed-message', role: 'status', 'aria-live': 'polite' });
  private readonly timeLeft = el('span', { class: 'feed-time-left', role: 'timer' });
  private readonly closeButton: HTMLButtonElement;
  private readonly retryButton = el(
    'button',
    { type: 'button', class: 'mw-action feed-retry', hidden: true },
    'Try video again',
  );
  private hls: Hls | null = null;
  private mediaRecoveries = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private snapshotTimer: ReturnType<typeof setInterval> | null = null;
  private snapshotObjectUrl: string | null = null;
  private lastProgress = { time: 0, atMs: 0 };
  private moving = false;

  constructor(private readonly options: FeedTileOptions) {
    const { cameraId, cameraName, incidentRef } = options;
    // Muted for autoplay; the hub strips audio anyway.
    this.video.muted = true;
    this.video.setAttribute('aria-label', `Live video of ${cameraName}`);
    this.image.alt = `Latest snapshot of ${cameraName}`;
    this.closeButton = el(
      'button',
      {
        type: 'button',
        class: 'icon-button feed-close',
        'aria-label': `Close the feed of ${cameraName}`,
        title: 'Close feed',
      },
      '×',
    );
    this.closeButton.addEventListener('click', () => options.onClose(this));
    this.retryButton.addEventListener('click', () => this.retryVideo());
    this.element = el(
      'article',
      {
        class: 'feed-tile',
        'data-camera-id': cameraId,
        'data-phase': this.phase,
        'aria-label': `Feed of ${cameraName}`,
        tabindex: -1,
      },
      el(
        'header',
        { class: 'feed-head' },
        el(
          'div',
          { class: 'feed-title' },
          el('h3', { class: 'feed-camera' }, cameraName),
          el(
            'div',
            { class: 'feed-meta' },
            el('span', { class: 'feed-ref mono' }, incidentRef),
            this.timeLeft,
          ),
        ),
        this.closeButton,
      ),
      el('div', { class: 'feed-screen' }, this.video, this.image),
      el('div', { class: 'feed-foot' }, this.message, this.retryButton),
    );
    setText(this.message, 'Opening the feed…');
    this.video.addEventListener('timeupdate', () => this.onProgress());
  }

  get cameraId(): string {
    return this.options.cameraId;
  }

  /** Opening or showing a session (refused and ended tiles hold none). */
  get active(): boolean {
    return this.phase === 'opening' || this.phase === 'video' || this.phase === 'snapshot';
  }

  /** The hub opened the session: play it. */
  play(session: FeedSessionView): void {
    this.session = session;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.tick();
    this.startVideo();
  }

  /** The hub refused to open the feed: its message, with a title for the known codes. */
  refuse(code: string, message: string): void {
    this.stopMedia();
    this.setPhase('refused');
    this.message.setAttribute('role', 'alert');
    const title = REFUSAL_TITLE[code] ?? 'Feed refused';
    this.message.replaceChildren(el('strong', {}, `${title}: `), message, ' ', el('code', {}, code));
    this.closeButton.setAttribute('aria-label', `Dismiss the message about ${this.options.cameraName}`);
  }

  /** Stops playback and every timer; the grid removes the element. */
  dispose(): void {
    this.stopMedia();
    this.phase = 'ended';
  }

  private startVideo(): void {
    const session = this.session;
    if (session === null) return;
    this.retryButton.hidden = true;
    this.image.hidden = true;
    this.video.hidden = false;
    this.lastProgress = { time: this.video.currentTime, atMs: Date.now() };
    this.moving = false;
    this.setPhase('video');
    if (Hls.isSupported()) {
      const hls = new Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 2 });
      this.hls = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        this.video
          .play()
          .catch((error: Error) => this.fallBack(`the browser would not start playback (${error.message})`));
      });
      hls.on(Hls.Events.ERROR, (_event, data) => this.onHlsError(data));
      hls.loadSource(session.url);
      hls.attachMedia(this.video);
      setText(this.message, 'Connecting to live video…');
    } else if (this.video.canPlayType('application/vnd.apple.mpegurl') !== '') {
      this.video.src = session.url;
      this.video.addEventListener('error', () => this.fallBack('the browser could not play the stream'), {
        once: true,
      });
      setText(this.message, 'Connecting to live video…');
    } else {
      this.fallBack('this browser cannot play live video (no Media Source Extensions)');
    }
  }

  private onHlsError(data: ErrorData): void {
    if (!data.fatal) return;
    const status = data.response?.code;
    if (status === 404 || status === 410 || status === 403) {
      this.end('The hub has ended this feed session (closed, idle or expired). Open it again if needed.');
      return;
    }
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries < 1) {
      this.mediaRecoveries++;
      this.hls?.recoverMediaError();
      return;
    }
    this.fallBack(`video playback failed (${data.details})`);
  }

  private onProgress(): void {
    if (this.phase !== 'video') return;
    const time = this.video.currentTime;
    if (time > this.lastProgress.time) {
      if (!this.moving) setText(this.message, 'Live');
      this.moving = true;
      this.lastProgress = { time, atMs: Date.now() };
    }
  }

  /** Playback failed: snapshots from the same session every few seconds instead. */
  private fallBack(reason: string): void {
    if (!this.active || this.session === null) return;
    this.stopVideo();
    this.setPhase('snapshot');
    this.video.hidden = true;
    this.image.hidden = false;
    setText(this.message, `Showing snapshots every ${SNAPSHOT_INTERVAL_MS / 1000} s: ${reason}.`);
    this.retryButton.hidden = !Hls.isSupported();
    void this.refreshSnapshot();
    this.snapshotTimer = setInterval(() => void this.refreshSnapshot(), SNAPSHOT_INTERVAL_MS);
  }

  private retryVideo(): void {
    if (this.phase !== 'snapshot') return;
    this.stopSnapshots();
    this.mediaRecoveries = 0;
    this.startVideo();
  }

  /** Fetched rather than set as the image's src, so the hub's refusal text can be shown. */
  private async refreshSnapshot(): Promise<void> {
    const session = this.session;
    if (session === null || this.phase !== 'snapshot') return;
    let response: Response;
    try {
      response = await fetch(session.snapshotUrl, { cache: 'no-store' });
    } catch (error) {
      setText(this.message, `Snapshot not loaded: cannot reach the hub (${(error as Error).message}).`);
      return;
    }
    if (this.phase !== 'snapshot') return;
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
      if (body.code === 'FEED_ENDED' || response.status === 410 || response.status === 403) {
        this.end(`The hub has ended this feed session: ${body.message ?? response.statusText}.`);
        return;
      }
      setText(this.message, `No snapshot yet: ${body.message ?? response.statusText}.`);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    if (this.phase !== 'snapshot') {
      URL.revokeObjectURL(url);
      return;
    }
    this.image.src = url;
    if (this.snapshotObjectUrl !== null) URL.revokeObjectURL(this.snapshotObjectUrl);
    this.snapshotObjectUrl = url;
  }

  private tick(): void {
    const session = this.session;
    if (session === null) return;
    const leftMs = Date.parse(session.expiresAt) - Date.now();
    if (leftMs <= 0) {
      this.end('The feed session has expired. Open it again if needed.');
      return;
    }
    const totalS = Math.ceil(leftMs / 1000);
    setText(this.timeLeft, `${Math.floor(totalS / 60)}:${String(totalS % 60).padStart(2, '0')} left`);
    this.timeLeft.setAttribute(
      'aria-label',
      `${Math.ceil(totalS / 60)} minutes left before the feed expires`,
    );
    if (this.phase === 'video' && Date.now() - this.lastProgress.atMs > STALL_MS)
      this.fallBack(`the video has not moved for ${STALL_MS / 1000} s`);
  }

  private end(message: string): void {
    this.stopMedia();
    this.setPhase('ended');
    setText(this.timeLeft, '');
    this.message.setAttribute('role', 'alert');
    setText(this.message, message);
  }

  private setPhase(phase: TilePhase): void {
    this.phase = phase;
    this.element.dataset.phase = phase;
  }

  private stopVideo(): void {
    this.hls?.destroy();
    this.hls = null;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
  }

  private stopSnapshots(): void {
    if (this.snapshotTimer !== null) clearInterval(this.snapshotTimer);
    this.snapshotTimer = null;
  }

  private stopMedia(): void {
    this.stopVideo();
    this.stopSnapshots();
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    if (this.snapshotObjectUrl !== null) URL.revokeObjectURL(this.snapshotObjectUrl);
    this.snapshotObjectUrl = null;
    this.image.removeAttribute('src');
  }
}
