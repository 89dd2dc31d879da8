import type pg from 'pg';
import { type DecodedMessage, decodeMessage, UNSTORABLE } from '../../../src/messages.ts';
import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import type { Reason } from '../../../src/schemas/camera-state.ts';
import { checkTelemetry, type Fix, type TelemetryLimits } from '../../../src/sources/telemetry.ts';
import { planIntervals } from '../../../src/state/intervals.ts';
import { buildTopic } from '../../../src/topics.ts';
import { MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import { insertPositions, type PositionRow, type StoredFix } from '../sources/source-repository.ts';
import type { FleetState } from '../state/fleet-state.ts';
import { admit, type Refusal, TRUST_CODES } from './admission.ts';
import { type AgentClockOptions, BatchClocks, updateSiteClocks } from './agent-clocks.ts';
import * as sql from './batch-writer.ts';
import { type CameraWritePlan, cameraStateDiffers, planCameraWrites } from './heartbeat-writes.ts';
import { type LateSample, mergeLateSamples } from './late-merge.ts';
import { Working } from './working-state.ts';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  receivedAt: Date;
  /** The broker delivered it as retained (stored earlier), not as it was published. */
  retained?: boolean;
  /** decodeMessage's result, when the receiver decoded it already (see IngestPipeline.push). */
  decoded?: ReturnType<typeof decodeMessage>;
  /** Refused on arrival (the site's message rate): dead-lettered with this code, never stored. */
  refused?: Refusal;
}

export interface BatchOptions extends AgentClockOptions {
  maxPayloadBytes: number;
  deadLetterMaxBytes: number;
  staleAfterMs: number;
  /** A camera row's heartbeat columns are written at most this often when its state stands (planCameraWrites). */
  heartbeatWriteMs: number;
  /** What sites may assert (see admission.ts and the registry config group). */
  replayHorizonMs: number;
  futureToleranceMs: number;
  maxCamerasPerSite: number;
  /** Where mobile sources may be and how fast they move (sources config group). */
  telemetry: TelemetryLimits;
}

/** A message refused for what its site asserted: counted per site, alerted and audited by the hub. */
export interface SiteRefusal {
  siteId: string;
  code: string;
  message: string;
  detail?: Record<string, string | number>;
  receivedAt: Date;
}

/** The batch's clock for camera row writes, and which held-back heartbeat columns it writes. */
export interface RowWrites {
  nowMs: number;
  flush: 'none' | 'due' | 'all';
}

export interface BatchOutcome {
  accepted: number;
  /** observedAt (ms) of each accepted message published live (not retained): for the store-delay figures. */
  observedAtMs: number[];
  duplicates: number;
  deadLetters: sql.DeadLetterRow[];
  /** Dead letters that were refusals of what a site asserted (a subset of deadLetters, with their site). */
  refusals: SiteRefusal[];
  changedCameras: CameraView[];
  changedSites: SiteView[];
  removedCameras: string[];
  /** The newest stored fix of each mobile source in the batch, with its footprint. */
  sourceFixes: StoredFix[];
  notes: string[];
}

/**
 * When each camera's current maintenance ended, for cameras in `maintenance` whose windows have all
 * closed by `nowMs` (hub clock): the end of the last declared span since the state began. A camera
 * whose window is still running is left out.
 */
async function maintenanceEnds(
  client: pg.PoolClient,
  cameras: readonly CameraView[],
  nowMs: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const inMaintenance = cameras.filter((c) => c.state === 'maintenance');
  if (inMaintenance.length === 0) return out;
  const fromMs = Math.min(...inMaintenance.map((c) => Date.parse(c.stateSince)));
  const spans = await new MaintenanceRepository(client).spansFor(
    inMaintenance.map((c) => c.id),
    fromMs,
    nowMs + 1,
  );
  for (const cam of inMaintenance) {
    const sinceMs = Date.parse(cam.stateSince);
    const own = (spans.get(cam.id) ?? []).filter((s) => s.endMs > sinceMs);
    if (own.some((s) => s.startMs <= nowMs && nowMs < s.endMs)) continue;
    out.set(cam.id, Math.max(sinceMs, ...own.map((s) => Math.min(s.endMs, nowMs))));
  }
  return out;
}

/**
 * Declared maintenance shows live: a camera inside a window turns `maintenance` from the window's
 * start, and `unknown` when it ends (until its next health sample says otherwise).
 */
async function applyMaintenance(
  client: pg.PoolClient,
  work: Working,
  fleet: FleetState,
  sweep: Sweep,
): Promise<void> {
  const nowMs = sweep.at.getTime();
  const ids: string[] = [];
  for (const cam of fleet.cameras.values()) if (!sweep.owns || sweep.owns(cam.siteId)) ids.push(cam.id);
  const active = await new MaintenanceRepository(client).spansFor(ids, nowMs, nowMs + 1);
  const ending: CameraView[] = [];
  for (const id of ids) {
    const cam = work.camera(id);
    if (!cam) continue;
    const span = active.get(id)?.find((s) => s.startMs <= nowMs && nowMs < s.endMs);
    const sinceMs = Date.parse(cam.stateSince);
    if (span && cam.state !== 'maintenance') {
      const reason: Reason = {
        code: 'maintenance_window',
        message: `declared maintenance until ${new Date(span.endMs).toISOString()}`,
      };
      work.transition(cam, 'maintenance', [reason], new Date(Math.max(span.startMs, sinceMs)));
    } else if (!span && cam.state === 'maintenance') ending.push(cam);
  }
  for (const [id, endMs] of await maintenanceEnds(client, ending, nowMs)) {
    const cam = work.camera(id);
    if (cam) work.transition(cam, 'unknown', [], new Date(endMs));
  }
}

function ownsCamera(fleet: FleetState, sweep: Sweep, cameraId: string): boolean {
  const siteId = fleet.cameras.get(cameraId)?.siteId;
  return siteId !== undefined && (sweep.owns?.(siteId) ?? true);
}

function truncate(raw: Buffer, max: number): Buffer {
  return raw.byteLength <= max ? raw : raw.subarray(0, max);
}

/**
 * A periodic sweep run with a batch: maintenance windows by the wall clock (`at`), staleness by
 * `dataUntil`, the time up to which the hub has read its sites' data. When the hub is behind (a
 * backlog waiting in the broker), a camera whose next heartbeat is still queued is not stale:
 * judging it by the wall clock would turn every camera unknown and make each queued heartbeat late.
 */
export interface Sweep {
  at: Date;
  dataUntil: Date;
  /** With several writers, each sweeps its own sites' cameras (absent: every camera). */
  owns?: (siteId: string) => boolean;
}

/**
 * Processes one batch in one transaction: dead letters, msgId dedupe, inventory, site state,
 * samples, camera state and intervals. Pure decisions come from src/; SQL from batch-writer.
 */
export async function processBatch(
  pool: pg.Pool,
  fleet: FleetState,
  messages: readonly InboundMessage[],
  sweep: Sweep | null,
  options: BatchOptions,
  writes: RowWrites,
): Promise<BatchOutcome> {
  const dead: sql.DeadLetterRow[] = [];
  const notes: string[] = [];
  const decoded: { message: DecodedMessage; receivedAt: Date; retained: boolean }[] = [];
  const deadLetter = (m: InboundMessage, siteId: string | null, code: string, path: string, text: string) =>
    dead.push({
      topic: storable(m.topic.slice(0, 500)),
      siteId: siteId === null ? null : storable(siteId),
      code,
      path: storable(path.slice(0, 500)),
      message: storable(text.slice(0, 2000)),
      raw: truncate(m.payload, options.deadLetterMaxBytes),
      rawSize: m.payload.byteLength,
      receivedAt: m.receivedAt,
    });
  const refusals: SiteRefusal[] = [];
  const refuse = (m: InboundMessage, siteId: string, refusal: Refusal) => {
    deadLetter(m, siteId, refusal.code, refusal.path, refusal.message);
    if (TRUST_CODES.has(refusal.code))
      refusals.push({
        siteId,
        code: refusal.code,
        message: refusal.message,
        detail: refusal.detail,
        receivedAt: m.receivedAt,
      });
  };
  const seenInBatch = new Set<string>();
  let duplicates = 0;
  for (const m of messages) {
    const result = m.decoded ?? decodeMessage(m.topic, m.payload, options.maxPayloadBytes);
    if (m.refused) {
      refuse(m, result.ok ? result.message.siteId : (result.topic?.siteId ?? 'unknown'), m.refused);
      continue;
    }
    if (!result.ok) {
      deadLetter(
        m,
        result.topic?.siteId ?? null,
        result.rejection.code,
        result.rejection.path,
        result.rejection.message,
      );
      continue;
    }
    if (seenInBatch.has(result.message.envelope.msgId)) {
      duplicates++;
      continue;
    }
    seenInBatch.add(result.message.envelope.msgId);
    const refusal = admit(result.message, {
      site: fleet.registry.get(result.message.siteId),
      receivedAtMs: m.receivedAt.getTime(),
      retained: m.retained === true,
      replayHorizonMs: options.replayHorizonMs,
      futureToleranceMs: options.futureToleranceMs,
      maxCamerasPerSite: options.maxCamerasPerSite,
    });
    if (refusal) {
      refuse(m, result.message.siteId, refusal);
      continue;
    }
    decoded.push({ message: result.message, receivedAt: m.receivedAt, retained: m.retained === true });
  }

  const client = await pool.connect();
  let broken: Error | undefined;
  const work = new Working(fleet);
  const clocks = new BatchClocks(fleet, options);
  const health: sql.HealthRow[] = [];
  const streams: sql.SampleRow[] = [];
  const events: sql.EventRow[] = [];
  const retention: sql.RetentionRow[] = [];
  const commissioning: sql.CommissioningRow[] = [];
  const subStreams: sql.SubStreamRow[] = [];
  const late: LateSample[] = [];
  const positions: PositionRow[] = [];
  /** The newest fix of each source as this batch goes (committed to the fleet after COMMIT). */
  const newestFixes = new Map<string, Fix>();
  let storedFixes: StoredFix[] = [];
  const observedAtMs: number[] = [];
  let rowPlan: CameraWritePlan | null = null;
  let accepted = 0;
  try {
    await client.query('BEGIN');
    const fresh = await sql.claimMessages(
      client,
      decoded.map(({ message, receivedAt }) => ({
        msgId: message.envelope.msgId,
        siteId: message.siteId,
        seq: message.envelope.seq,
        kind: message.kind,
        receivedAt,
      })),
    );
    duplicates += decoded.length - fresh.size;
    // Cameras whose maintenance window has closed by now but which the sweep has not yet taken out
    // of maintenance: a health sample observed at or after the end applies from the end, whether it
    // comes before or after the sweep.
    const sampled = new Set<string>();
    for (const { message } of decoded)
      if (message.kind === 'health') sampled.add(message.envelope.payload.cameraId);
    const batchNowMs = Math.max(0, ...decoded.map((d) => d.receivedAt.getTime()));
    const maintenanceEnded = await maintenanceEnds(
      client,
      [...sampled].map((id) => work.camera(id)).filter((c): c is CameraView => c !== undefined),
      batchNowMs,
    );
    for (const { message, receivedAt, retained } of decoded) {
      if (!fresh.has(message.envelope.msgId)) continue;
      clocks.observe(message, receivedAt, retained);
      const observedAt = new Date(message.envelope.observedAt);
      // An agent clock ahead of the hub must not place state in the future.
      const at = observedAt.getTime() > receivedAt.getTime() ? receivedAt : observedAt;
      if (!retained) observedAtMs.push(observedAt.getTime());
      const raw = { topic: `cctv/v1/site/${message.siteId}`, payload: Buffer.alloc(0), receivedAt };
      accepted++;
      // Per-camera messages must name a camera of the publishing site's inventory.
      const cameraOf = (cameraId: string): CameraView | null => {
        const cam = work.camera(cameraId);
        if (cam && cam.siteId === message.siteId) return cam;
        deadLetter(
          raw,
          message.siteId,
          'UNKNOWN_CAMERA',
          '/payload/cameraId',
          `camera ${cameraId} is not in site ${message.siteId}'s inventory`,
        );
        accepted--;
        return null;
      };
      switch (message.kind) {
        case 'inventory': {
          // New cameras are unknown from when the agent made its inventory, not from when the hub
          // read it: the agent's first health poll, observed right after it, must not count as older
          // than that state (it would be merged into history as late). Never before the registration.
          const reg = fleet.registry.get(message.siteId);
          if (!reg) throw new Error(`site ${message.siteId} was admitted without a registration`);
          const invAt = new Date(Math.max(at.getTime(), reg.registeredAtMs));
          const inv = message.envelope.payload;
          const result = await sql.upsertInventory(client, message.siteId, inv, invAt, reg.expectedCameras);
          if (result.foreign.length > 0) {
            notes.push(
              `site ${message.siteId} inventory names cameras of another site: ${result.foreign.join(', ')}`,
            );
          }
          for (const id of result.removed) work.removed.add(id);
          const existingSite = work.site(message.siteId);
          // Name, council, hub and location are the registry's; the inventory only lists cameras.
          const site: SiteView = {
            id: message.siteId,
            name: reg.name,
            councilId: reg.councilId,
            hubId: reg.hubId,
            state: existingSite?.state ?? 'unknown',
            stateSince: existingSite?.stateSince ?? invAt.toISOString(),
            lastSeenAt: receivedAt.toISOString(),
            cameraCount: inv.cameras.length,
            location: existingSite?.location ?? null,
            clockSuspect: existingSite?.clockSuspect ?? false,
            clockReason: existingSite?.clockReason ?? null,
            agentClockOffsetMs: existingSite?.agentClockOffsetMs ?? null,
            agentClock: existingSite?.agentClock ?? null,
            monitor: existingSite?.monitor ?? null,
          };
          const pending = fleet.pendingSiteStates.get(site.id);
          if (pending && site.state !== pending.state) {
            work.putSite(
              { ...site, state: pending.state, stateSince: pending.at.toISOString() },
              true,
              pending.agentVersion,
            );
          } else work.sites.set(site.id, site);
          if (pending) work.consumedPending.add(site.id);
          const added = new Set(result.added);
          for (const cam of inv.cameras) {
            if (result.foreign.includes(cam.id)) continue;
            const prior = work.camera(cam.id);
            const view: CameraView = {
              id: cam.id,
              name: cam.name,
              siteId: message.siteId,
              councilId: reg.councilId,
              hubId: reg.hubId,
              state: prior?.state ?? 'unknown',
              stateSince: prior?.stateSince ?? invAt.toISOString(),
              lastSeenAt: prior?.lastSeenAt ?? null,
              reasons: prior?.reasons ?? [],
              location: {
                type: 'Point',
                coordinates: [cam.commissioning.location.lon, cam.commissioning.location.lat],
              },
              bearingDeg: cam.commissioning.bearingDeg,
              hfovDeg: cam.commissioning.hfovDeg,
              designDistanceM: cam.commissioning.designDistanceM,
              purpose: cam.commissioning.purpose,
              approval: result.approval.get(cam.id) ?? prior?.approval ?? 'pending',
            };
            work.putCamera(view);
            if (added.has(cam.id))
              work.transitions.push({ cameraId: cam.id, state: 'unknown', reasons: [], at: invAt });
          }
          break;
        }
        case 'siteState': {
          const site = work.site(message.siteId);
          const payload = message.envelope.payload;
          // The last will was composed at connect time; the site went offline when the broker says so.
          const stateAt = payload.state === 'offline' ? receivedAt : at;
          if (!site) {
            // Applied when the inventory arrives; retained messages are redelivered in any order.
            fleet.pendingSiteStates.set(message.siteId, {
              state: payload.state,
              at: stateAt,
              agentVersion: payload.agentVersion ?? null,
            });
            break;
          }
          const changed = site.state !== payload.state;
          work.putSite(
            {
              ...site,
              state: payload.state,
              stateSince: changed ? stateAt.toISOString() : site.stateSince,
              lastSeenAt: receivedAt.toISOString(),
              // What the agent says of its own health now; a state without it (an older agent, the
              // last will) says nothing, so nothing is kept from before.
              monitor: payload.monitor ?? null,
            },
            changed,
            payload.agentVersion ?? null,
          );
          if (payload.state === 'offline') {
            const reason: Reason = {
              code: 'site_offline',
              message: `site ${message.siteId} agent or link offline`,
            };
            for (const cam of work.camerasOfSite(message.siteId)) {
              if (cam.state !== 'unknown' && cam.state !== 'maintenance')
                work.observe(cam, 'unknown', [reason], stateAt, null);
            }
          }
          break;
        }
        case 'health': {
          const payload = message.envelope.payload;
          let cam = cameraOf(payload.cameraId);
          if (!cam) break;
          const maintenanceEndMs = maintenanceEnded.get(cam.id);
          if (
            cam.state === 'maintenance' &&
            maintenanceEndMs !== undefined &&
            at.getTime() >= maintenanceEndMs
          ) {
            // The window closed before this sample: unknown from its end to the sample (nothing
            // when the sample is at the end itself), then the sample applies as usual below.
            if (at.getTime() > maintenanceEndMs) {
              work.transition(cam, 'unknown', [], new Date(maintenanceEndMs));
              cam = work.camera(cam.id) ?? cam;
            } else {
              work.transition(cam, payload.state, payload.reasons, at);
              cam = work.camera(cam.id) ?? cam;
            }
            maintenanceEnded.delete(cam.id);
          }
          health.push({
            msgId: message.envelope.msgId,
            cameraId: cam.id,
            observedAt,
            receivedAt,
            state: payload.state,
            clockOffsetMs: payload.clock?.offsetMs ?? null,
            payload,
          });
          let atMs = at.getTime();
          const lastSeenMs = cam.lastSeenAt ? Date.parse(cam.lastSeenAt) : null;
          const sinceMs = Date.parse(cam.stateSince);
          // A camera never heard from, unknown since the inventory that named it: a sample its agent
          // took before making that inventory (queued while it connected, then sent after it) starts
          // the camera's state at the inventory. As history before it, it left a spell of unknown
          // between two ups that the camera never had.
          if (lastSeenMs === null && cam.state === 'unknown' && cam.reasons.length === 0 && atMs < sinceMs)
            atMs = sinceMs;
          let update: sql.CameraUpdate;
          if (atMs < sinceMs) {
            // Older than the current state (an outbox replay after an outage): merged into history below.
            late.push({ cameraId: cam.id, atMs });
            update = work.putCamera(cam);
          } else if (lastSeenMs !== null && atMs < lastSeenMs) {
            // Older than a newer sample of the current state: kept as a sample, the state stands.
            update = work.putCamera(cam);
          } else {
            const when = atMs === at.getTime() ? at : new Date(atMs);
            update = work.observe(cam, payload.state, payload.reasons, when, when);
          }
          if (!update.lastHealthAt || update.lastHealthAt.getTime() <= observedAt.getTime()) {
            update.lastHealth = payload;
            update.lastHealthAt = observedAt;
          }
          break;
        }
        case 'stream': {
          const payload = message.envelope.payload;
          const cam = cameraOf(payload.cameraId);
          if (!cam) break;
          streams.push({ msgId: message.envelope.msgId, cameraId: cam.id, observedAt, receivedAt, payload });
          if (payload.role === 'sub') {
            // A secondary profile: kept per profile token, never as the camera's (main) stream.
            subStreams.push({ cameraId: cam.id, token: payload.declared?.token ?? '', observedAt, payload });
            break;
          }
          const update = work.putCamera(cam);
          update.lastStream = payload;
          update.lastStreamAt = observedAt;
          break;
        }
        case 'event': {
          const payload = message.envelope.payload;
          const cam = cameraOf(payload.cameraId);
          if (!cam) break;
          events.push({
            msgId: message.envelope.msgId,
            cameraId: cam.id,
            observedAt,
            receivedAt,
            type: payload.type,
            active: payload.active,
            payload,
          });
          break;
        }
        case 'recording': {
          const payload = message.envelope.payload;
          const cam = cameraOf(payload.cameraId);
          if (!cam) break;
          retention.push({
            msgId: message.envelope.msgId,
            cameraId: cam.id,
            observedAt,
            receivedAt,
            payload,
          });
          break;
        }
        case 'commissioning': {
          const payload = message.envelope.payload;
          const cam = cameraOf(payload.cameraId);
          if (!cam) break;
          commissioning.push({
            msgId: message.envelope.msgId,
            cameraId: cam.id,
            observedAt,
            receivedAt,
            payload,
          });
          break;
        }
        case 'telemetry': {
          const payload = message.envelope.payload;
          const last = newestFixes.get(payload.sourceId) ?? fleet.sourceFixes.get(payload.sourceId) ?? null;
          const refusal = checkTelemetry(
            payload,
            message.siteId,
            fleet.sources.get(payload.sourceId),
            last,
            options.telemetry,
          );
          if (refusal) {
            const topic = buildTopic('telemetry', { siteId: message.siteId, sourceId: payload.sourceId });
            refuse(
              { topic, payload: Buffer.from(JSON.stringify(message.envelope)), receivedAt },
              message.siteId,
              refusal,
            );
            accepted--;
            break;
          }
          positions.push({
            sourceId: payload.sourceId,
            msgId: message.envelope.msgId,
            observedAt: new Date(payload.at),
            receivedAt,
            lat: payload.lat,
            lon: payload.lon,
            altitudeM: payload.altitudeM,
            headingDeg: payload.headingDeg,
            gimbalPitchDeg: payload.gimbalPitchDeg,
            gimbalBearingDeg: payload.gimbalBearingDeg,
            hfovDeg: payload.hfovDeg,
            vfovDeg: payload.vfovDeg,
            speedMps: payload.speedMps,
            batteryPct: payload.batteryPct,
            linkQualityPct: payload.linkQualityPct,
          });
          const atMs = Date.parse(payload.at);
          if (!last || atMs > last.atMs)
            newestFixes.set(payload.sourceId, { atMs, lat: payload.lat, lon: payload.lon });
          break;
        }
        case 'gap': {
          // The site's outbox was full and dropped this camera's samples observed from `from` to
          // `to`: the camera's state is unknown from `from` until its next sample that was kept.
          // Only dropped health samples say so; stream samples do not carry the camera's state.
          const payload = message.envelope.payload;
          const cam = cameraOf(payload.cameraId);
          if (!cam || payload.dropped.health === 0) break;
          const fromMs = Date.parse(payload.from);
          const toMs = Math.max(fromMs, Date.parse(payload.to));
          const reason: Reason = {
            code: 'stale',
            message: `the site's outbox was full: ${payload.dropped.health} health samples dropped`,
          };
          const lastSeenMs = cam.lastSeenAt ? Date.parse(cam.lastSeenAt) : null;
          if (fromMs < Date.parse(cam.stateSince) || (lastSeenMs !== null && fromMs < lastSeenMs))
            late.push({ cameraId: cam.id, atMs: fromMs, untilMs: toMs, unknownReason: reason });
          else if (cam.state !== 'maintenance')
            work.observe(cam, 'unknown', [reason], new Date(fromMs), null);
          break;
        }
      }
    }
    if (sweep) {
      await applyMaintenance(client, work, fleet, sweep);
      const reason: Reason = {
        code: 'stale',
        message: `no health data for over ${Math.round(options.staleAfterMs / 1000)} s`,
      };
      for (const cam of [...fleet.cameras.values()].map((c) => work.camera(c.id))) {
        if (!cam || cam.state === 'unknown' || cam.state === 'maintenance') continue;
        if (sweep.owns && !sweep.owns(cam.siteId)) continue;
        const last = cam.lastSeenAt ? Date.parse(cam.lastSeenAt) : Date.parse(cam.stateSince);
        if (sweep.dataUntil.getTime() - last > options.staleAfterMs) {
          work.observe(cam, 'unknown', [reason], new Date(last + options.staleAfterMs), null);
        }
      }
    }
    await sql.insertHealth(client, health);
    await sql.insertStreams(client, streams);
    await sql.insertEvents(client, events);
    await sql.insertRetention(client, retention);
    await sql.insertCommissioning(client, commissioning);
    await sql.upsertSubStreams(client, subStreams);
    storedFixes = await insertPositions(client, positions);
    for (const fix of storedFixes)
      fix.points = positions
        .filter((p) => p.sourceId === fix.sourceId)
        .map((p) => [p.lon, p.lat, p.observedAt.getTime()] as [number, number, number]);
    rowPlan = planCameraWrites({
      updates: work.updates.values(),
      removed: work.removed,
      committed: fleet.cameras,
      held: fleet.heartbeats,
      nowMs: writes.nowMs,
      writeEveryMs: options.heartbeatWriteMs,
      flush: writes.flush,
      ...(sweep?.owns ? { owns: (id: string) => ownsCamera(fleet, sweep, id) } : {}),
    });
    await sql.updateCameras(client, rowPlan.full);
    await sql.updateHeartbeats(client, rowPlan.heartbeats);
    await sql.writeIntervals(client, planIntervals(work.transitions));
    if (work.closed.length > 0) {
      const from = Math.min(...work.closed.map((c) => c.startMs));
      const to = Math.max(...work.closed.map((c) => c.endMs));
      const windows = await new MaintenanceRepository(client).spansFor(
        [...new Set(work.closed.map((c) => c.cameraId))],
        from,
        to,
      );
      await sql.addRollups(client, work.closed, windows);
    }
    if (late.length > 0) {
      const merged = await mergeLateSamples(client, late, options.staleAfterMs);
      if (merged.length > 0)
        notes.push(`merged ${late.length} late health samples into the history of ${merged.length} cameras`);
    }
    clocks.apply(work);
    await sql.updateSites(client, [...work.siteUpdates.values()]);
    await updateSiteClocks(client, clocks.rows);
    await sql.insertDeadLetters(client, dead);
    await client.query('COMMIT');
  } catch (error) {
    // A failed rollback means the connection is unusable: destroy it rather than return it to the pool.
    broken = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    throw error;
  } finally {
    client.release(broken);
  }

  // Live views carry state changes, not every heartbeat's lastSeenAt.
  const changedCameras: CameraView[] = [];
  for (const id of work.consumedPending) fleet.pendingSiteStates.delete(id);
  clocks.commit();
  if (rowPlan) fleet.heartbeats.apply(rowPlan, writes.nowMs);
  for (const id of work.removed) fleet.cameras.delete(id);
  for (const view of work.cameras.values()) {
    if (work.removed.has(view.id)) continue;
    const cam = fleet.surveyedView(view);
    const before = fleet.cameras.get(cam.id);
    const state = { state: cam.state, stateSinceMs: Date.parse(cam.stateSince), reasons: cam.reasons };
    if (cameraStateDiffers(before, state) || before?.name !== cam.name) changedCameras.push(cam);
    fleet.cameras.set(cam.id, cam);
  }
  for (const site of work.sites.values()) fleet.sites.set(site.id, site);
  for (const [id, fix] of newestFixes) {
    const before = fleet.sourceFixes.get(id);
    if (!before || fix.atMs > before.atMs) fleet.sourceFixes.set(id, fix);
  }
  return {
    accepted,
    observedAtMs,
    duplicates,
    deadLetters: dead,
    refusals,
    changedCameras,
    changedSites: [...work.sites.values()],
    removedCameras: [...work.removed],
    sourceFixes: storedFixes,
    notes,
  };
}

/** Text a database column can hold: NUL and unpaired surrogates (from hostile input) become U+FFFD. */
export function storable(text: string): string {
  return text.replace(new RegExp(UNSTORABLE.source, 'g'), '\ufffd');
}
