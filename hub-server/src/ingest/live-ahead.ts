import type { DecodedMessage } from '../../../src/messages.ts';
import type { CameraView } from '../../../src/schemas/api.ts';
import { nextState } from '../../../src/state/intervals.ts';
import type { FleetState } from '../state/fleet-state.ts';
import { type AdmissionContext, admit } from './admission.ts';

type AdmissionOptions = Pick<AdmissionContext, 'replayHorizonMs' | 'futureToleranceMs' | 'maxCamerasPerSite'>;

/**
 * Camera state changes pushed to screens as soon as their health message is decoded, before the
 * batch that stores it commits (live.pushBeforeCommit).
 *
 * Only about 1 % of messages change a camera's state, and a batch takes tens of milliseconds to
 * write; a control room should not wait for the write to see a camera go down. The decision is the
 * one the batch makes (nextState, after the same admission checks and the same late-sample rules),
 * taken on the fleet's committed state plus the changes already pushed ahead. Where the batch may
 * decide otherwise for reasons only it knows (a maintenance window ending, which needs the
 * database), nothing is pushed ahead and the change comes after the commit as before.
 *
 * Consistency rule: a screen may show a camera's change up to one batch before it is stored. Once
 * the batch holding the message is done, the screen shows what was stored: the same view (nothing
 * more is sent), the stored view where the batch decided otherwise, or the view before the change
 * where the message could not be stored at all (dead-lettered after its batch kept failing). The
 * broker is still acknowledged only after the commit, evidence (intervals, uptime, reports) is only
 * ever computed from what was stored, and peer hubs and other processes of a cluster hear of a
 * change only once it is stored.
 */
export interface AheadListener {
  /** Views decided now, before their batch commits. */
  ahead: (views: CameraView[]) => void;
  /** Stored views of cameras pushed ahead whose batch is done: screens still showing the push ahead take these. */
  settled: (views: CameraView[]) => void;
}

export class LiveAhead {
  /** The newest view pushed ahead per camera, with the message that made it (the very object queued). */
  private readonly pushed = new Map<string, { view: CameraView; message: DecodedMessage }>();
  /** The newest sample time queued per camera: an older sample behind it changes no state. */
  private readonly queuedUntil = new Map<string, number>();
  /** One admission context, filled in per message (this runs for every message received). */
  private readonly admission: AdmissionContext;

  constructor(
    private readonly fleet: FleetState,
    options: AdmissionOptions,
    private readonly listener: AheadListener,
  ) {
    this.admission = { ...options, site: undefined, receivedAtMs: 0, retained: false };
  }

  /** A message just decoded and queued (not retained, not refused by rate). */
  observe(message: DecodedMessage, receivedAtMs: number): void {
    if (message.kind !== 'health') return;
    const payload = message.envelope.payload;
    const cameraId = payload.cameraId;
    const stored = this.fleet.cameras.get(cameraId);
    // A camera of another site's inventory is dead-lettered by the batch.
    if (!stored || stored.siteId !== message.siteId) return;
    this.admission.site = this.fleet.registry.get(message.siteId);
    this.admission.receivedAtMs = receivedAtMs;
    if (admit(message, this.admission) !== null) return;
    // The stored view, with the state, reasons and times of what was already pushed ahead.
    const ahead = this.pushed.get(cameraId)?.view;
    const base = ahead
      ? {
          ...stored,
          state: ahead.state,
          stateSince: ahead.stateSince,
          reasons: ahead.reasons,
          lastSeenAt: ahead.lastSeenAt,
        }
      : stored;
    // An agent clock ahead of the hub must not place state in the future (as in the batch).
    const atMs = Math.min(Date.parse(message.envelope.observedAt), receivedAtMs);
    const lastSeenMs = base.lastSeenAt ? Date.parse(base.lastSeenAt) : Number.NEGATIVE_INFINITY;
    const queuedMs = this.queuedUntil.get(cameraId) ?? Number.NEGATIVE_INFINITY;
    if (atMs < lastSeenMs || atMs < queuedMs) return;
    // Keyed by the fleet's own id string: the message's copy would be held for each camera.
    this.queuedUntil.set(stored.id, atMs);
    const at = new Date(atMs);
    const decision = nextState(
      { state: base.state, stateSince: new Date(base.stateSince), reasons: base.reasons },
      { state: payload.state, reasons: payload.reasons, at },
    );
    if (decision.kind === 'none') return;
    const seen = at.toISOString();
    const view: CameraView =
      decision.kind === 'transition'
        ? { ...base, state: payload.state, reasons: payload.reasons, stateSince: seen, lastSeenAt: seen }
        : { ...base, reasons: payload.reasons, lastSeenAt: seen };
    this.pushed.set(cameraId, { view, message });
    this.listener.ahead([view]);
  }

  /**
   * The batch holding `messages` is done (committed; or failed, to be retried; or a message
   * dead-lettered after its batch kept failing): cameras whose newest push ahead came from one of
   * them are settled with their stored view, which screens still showing the push ahead take when
   * it differs. A failed batch thus puts screens back at once; its retry publishes as it commits.
   */
  settle(messages: Iterable<{ decoded?: { ok: boolean; message?: DecodedMessage } }>): void {
    if (this.pushed.size === 0) return;
    const stored: CameraView[] = [];
    for (const m of messages) {
      const message = m.decoded?.ok ? m.decoded.message : undefined;
      if (message?.kind !== 'health') continue;
      const cameraId = message.envelope.payload.cameraId;
      // The very message queued (a reused msgId is another message).
      if (this.pushed.get(cameraId)?.message !== message) continue;
      this.pushed.delete(cameraId);
      const view = this.fleet.cameras.get(cameraId);
      if (view) stored.push(view);
    }
    if (stored.length > 0) this.listener.settled(stored);
  }

  /** Cameras the hub retired: nothing more is pushed ahead for them. */
  forget(cameraIds: readonly string[]): void {
    for (const id of cameraIds) {
      this.pushed.delete(id);
      this.queuedUntil.delete(id);
    }
  }
}
