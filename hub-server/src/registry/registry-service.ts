import type pg from 'pg';
import { parseNetworkEntry } from '../../../src/registry/camera-networks.ts';
import type { CameraView, Role, SiteView } from '../../../src/schemas/api.ts';
import type {
  CameraApprovalView,
  CameraDecision,
  CouncilUpsert,
  HubUpsert,
  SiteRecord,
  SiteRegistration,
  SiteRegistryUpdate,
  SiteUpdateResult,
} from '../../../src/schemas/registry-api.ts';
import { londonClock } from '../../../src/uptime/london-time.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { HttpError } from '../http/common.ts';
import type { FleetState } from '../state/fleet-state.ts';
import { RegistryRepository, registeredSite } from './registry-repository.ts';

export interface Actor {
  username: string;
  role: Role;
}

export interface RegistryServiceDeps {
  pool: pg.Pool;
  audit: AuditLog;
  fleet: FleetState;
  /** Runs between ingest batches (IngestPipeline.exclusive), so no batch overwrites the change. */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Pushes changed views to live sockets. */
  /**
   * Views changed by a committed registry edit, for live sockets; `announce` is false when the edit
   * was another hub process's (cluster mode), which has told the region already.
   */
  publish: (change: { cameras: CameraView[]; sites: SiteView[] }, announce: boolean) => void;
  /** After a registration: the site's retained inventory and state, refused before, are read again. */
  registered?: (siteId: string) => void;
  now: () => number;
}

const DECISION_STATE = { approve: 'approved', reject: 'rejected', retire: 'retired' } as const;

/**
 * The registry's facts change only here: each change commits with its audit entry in one
 * transaction, between ingest batches, then the in-memory fleet state and live views follow.
 */
export class RegistryService {
  readonly repository: RegistryRepository;

  constructor(private readonly deps: RegistryServiceDeps) {
    this.repository = new RegistryRepository(deps.pool);
  }

  async register(input: SiteRegistration, actor: Actor): Promise<SiteRecord> {
    checkNetworks(input.cameraNetworks);
    return this.deps.exclusive(async () => {
      const at = new Date(this.deps.now());
      const record = await this.transaction(async (client) => {
        await this.checkCouncilAndHub(client, input.councilId, input.hubId);
        if (!(await this.repository.insertSite(client, input, actor.username, at)))
          throw new HttpError(409, 'SITE_EXISTS', `site ${input.id} is already registered`);
        const site = await this.repository.findSite(input.id, client);
        if (!site) throw new Error('registered site vanished');
        await this.deps.audit.appendWith(client, {
          kind: 'config.site.register',
          actor: actor.username,
          role: actor.role,
          councilId: site.councilId,
          subject: { type: 'site', id: site.id },
          detail: {
            name: site.name,
            councilId: site.councilId,
            hubId: site.hubId,
            cameraNetworks: site.cameraNetworks,
            expectedCameras: site.expectedCameras,
            maxCameras: site.maxCameras,
          },
        });
        return site;
      });
      this.apply(record, []);
      this.deps.registered?.(record.id);
      return record;
    });
  }

  async update(id: string, input: SiteRegistryUpdate, actor: Actor): Promise<SiteUpdateResult> {
    if (input.cameraNetworks) checkNetworks(input.cameraNetworks);
    return this.deps.exclusive(async () => {
      const at = new Date(this.deps.now());
      let approvedNow: string[] = [];
      const result = await this.transaction(async (client): Promise<SiteUpdateResult> => {
        const before = await this.repository.findSite(id, client);
        if (!before) throw new HttpError(404, 'NOT_FOUND', `site ${id} is not registered`);
        const councilId = input.councilId ?? before.councilId;
        const hubId = input.hubId ?? before.hubId;
        const moved = councilId !== before.councilId || hubId !== before.hubId;
        if (moved && !input.reason)
          throw new HttpError(
            400,
            'REASON_REQUIRED',
            'reason: moving a site to another council or hub needs a reason (it is audited)',
          );
        if (moved) await this.checkCouncilAndHub(client, councilId, hubId);
        const location =
          input.location === undefined
            ? before.location
              ? { lon: before.location.coordinates[0], lat: before.location.coordinates[1] }
              : null
            : input.location;
        await this.repository.updateSite(client, id, {
          name: input.name ?? before.name,
          councilId,
          hubId,
          location,
          cameraNetworks: input.cameraNetworks ?? before.cameraNetworks,
          maxCameras: input.maxCameras === undefined ? before.maxCameras : input.maxCameras,
        });
        if (input.expectedCameras)
          approvedNow = await this.repository.setExpected(
            client,
            id,
            input.expectedCameras,
            actor.username,
            at,
          );
        if (moved) await this.repository.moveSite(client, id, councilId, hubId, at);
        const after = await this.repository.findSite(id, client);
        if (!after) throw new Error('updated site vanished');
        const changes: Record<string, unknown> = {};
        for (const key of [
          'name',
          'councilId',
          'hubId',
          'cameraNetworks',
          'expectedCameras',
          'maxCameras',
          'location',
        ] as const)
          if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
            changes[key] = { from: before[key], to: after[key] };
        // Said in the words people use: councils by name, the time on London's clock.
        const names = moved
          ? new Map(
              (
                await client.query<{ id: string; name: string }>(
                  'SELECT id, name FROM councils WHERE id = ANY($1::text[])',
                  [[before.councilId, councilId]],
                )
              ).rows.map((r) => [r.id, r.name]),
            )
          : new Map<string, string>();
        const named = (id: string) => names.get(id) ?? id;
        const move = moved
          ? {
              from: { councilId: before.councilId, hubId: before.hubId },
              to: { councilId, hubId },
              at: at.toISOString(),
              effect: `Reports for periods before ${londonClock(at.toISOString())} keep this site's cameras with ${named(before.councilId)}; from then on they count for ${named(councilId)}. No past month's evidence changes.`,
            }
          : null;
        await this.deps.audit.appendWith(client, {
          kind: moved ? 'config.site.move' : 'config.site.update',
          actor: actor.username,
          role: actor.role,
          councilId: after.councilId,
          subject: { type: 'site', id },
          reason: input.reason ?? null,
          detail: {
            changes,
            ...(approvedNow.length > 0 ? { approvedCameras: approvedNow } : {}),
            ...(move ? { move } : {}),
          },
        });
        // The council it left must see the move in its audit view too.
        if (moved && before.councilId !== after.councilId)
          await this.deps.audit.appendWith(client, {
            kind: 'config.site.move',
            actor: actor.username,
            role: actor.role,
            councilId: before.councilId,
            subject: { type: 'site', id },
            reason: input.reason ?? null,
            detail: { move },
          });
        return { site: after, move };
      });
      this.apply(result.site, approvedNow);
      return result;
    });
  }

  async decide(cameraId: string, decision: CameraDecision, actor: Actor): Promise<CameraApprovalView> {
    return this.deps.exclusive(async () => {
      const at = new Date(this.deps.now());
      const state = DECISION_STATE[decision.decision];
      const view = await this.transaction(async (client) => {
        const camera = await this.repository.findCamera(cameraId, client);
        if (!camera) throw new HttpError(404, 'NOT_FOUND', `camera ${cameraId} not found`);
        if (camera.approval === state)
          throw new HttpError(409, 'ALREADY', `camera ${cameraId} is already ${state}`);
        // Approve from pending or rejected; reject only what is pending; retire only what is approved.
        // Retirement is final: re-approving would rewrite the span a past report counted.
        const allowed: string[] = {
          approved: ['pending', 'rejected'],
          rejected: ['pending'],
          retired: ['approved'],
        }[state];
        if (!allowed.includes(camera.approval))
          throw new HttpError(
            409,
            'BAD_TRANSITION',
            `camera ${cameraId} is ${camera.approval}: it cannot be ${state} (approve pending or rejected cameras, reject pending ones, retire approved ones)`,
          );
        await this.repository.setApproval(client, cameraId, state, actor.username, at);
        await this.deps.audit.appendWith(client, {
          kind: `config.camera.${decision.decision}`,
          actor: actor.username,
          role: actor.role,
          councilId: camera.councilId,
          cameraId,
          reason: decision.note ?? null,
          detail: {
            siteId: camera.siteId,
            from: camera.approval,
            to: state,
            effect:
              state === 'approved'
                ? `counts in ${camera.councilId}'s reports and compliance from ${at.toISOString()}`
                : `counts in no council's reports or compliance from ${at.toISOString()}`,
          },
        });
        const updated = await this.repository.findCamera(cameraId, client);
        if (!updated) throw new Error('camera vanished');
        return updated;
      });
      const current = this.deps.fleet.cameras.get(cameraId);
      if (current) {
        const next = { ...current, approval: view.approval };
        this.deps.fleet.cameras.set(cameraId, next);
        this.deps.publish({ cameras: [next], sites: [] }, true);
      }
      return view;
    });
  }

  async upsertCouncil(id: string, input: CouncilUpsert, actor: Actor): Promise<{ created: boolean }> {
    return this.transaction(async (client) => {
      if (!(await this.repository.hubExists(input.hubId, client)))
        throw new HttpError(400, 'UNKNOWN_HUB', `hubId: hub ${input.hubId} is not registered`);
      const created = await this.repository.upsertCouncil(client, id, input.name, input.hubId);
      await this.deps.audit.appendWith(client, {
        kind: 'config.council',
        actor: actor.username,
        role: actor.role,
        councilId: id,
        subject: { type: 'council', id },
        detail: { created, name: input.name, hubId: input.hubId },
      });
      return { created };
    });
  }

  async upsertHub(id: string, input: HubUpsert, actor: Actor): Promise<{ created: boolean }> {
    return this.transaction(async (client) => {
      const created = await this.repository.upsertHub(
        client,
        id,
        input.name,
        input.operator ?? '',
        input.location ?? null,
      );
      await this.deps.audit.appendWith(client, {
        kind: 'config.hub',
        actor: actor.username,
        role: actor.role,
        subject: { type: 'hub', id },
        detail: { created, name: input.name, operator: input.operator ?? '' },
      });
      return { created };
    });
  }

  private async checkCouncilAndHub(client: pg.PoolClient, councilId: string, hubId: string): Promise<void> {
    if ((await this.repository.councilHub(councilId, client)) === null)
      throw new HttpError(400, 'UNKNOWN_COUNCIL', `councilId: council ${councilId} is not registered`);
    if (!(await this.repository.hubExists(hubId, client)))
      throw new HttpError(400, 'UNKNOWN_HUB', `hubId: hub ${hubId} is not registered`);
  }

  /**
   * Registry changes another hub process of the region committed (cluster mode): the sites' records
   * and their cameras' approvals are read back from the database and applied as if made here, with
   * the pipeline held so no batch admits a message against half of them.
   */
  async refresh(siteIds: readonly string[]): Promise<void> {
    if (siteIds.length === 0) return;
    await this.deps.exclusive(async () => {
      const approvals = await this.deps.pool.query<{ id: string; approval: CameraView['approval'] }>(
        'SELECT id, approval FROM cameras WHERE site_id = ANY($1::text[])',
        [siteIds],
      );
      const approval = new Map(approvals.rows.map((r) => [r.id, r.approval]));
      for (const siteId of new Set(siteIds)) {
        const record = await this.repository.findSite(siteId);
        if (!record) continue;
        for (const cam of this.deps.fleet.camerasOfSite(siteId)) {
          const now = approval.get(cam.id);
          if (now && now !== cam.approval) this.deps.fleet.cameras.set(cam.id, { ...cam, approval: now });
        }
        this.apply(record, [], false);
      }
    });
  }

  /** The committed registry record into memory: ingest admission, site and camera views, live sockets. */
  private apply(record: SiteRecord, approved: readonly string[], announce = true): void {
    const { fleet } = this.deps;
    fleet.registry.set(record.id, registeredSite(record));
    const prior = fleet.sites.get(record.id);
    const site: SiteView = prior
      ? {
          ...prior,
          name: record.name,
          councilId: record.councilId,
          hubId: record.hubId,
          location: record.location,
        }
      : {
          id: record.id,
          name: record.name,
          councilId: record.councilId,
          hubId: record.hubId,
          state: 'unknown',
          stateSince: record.registeredAt,
          lastSeenAt: null,
          cameraCount: 0,
          location: record.location,
          clockSuspect: false,
          clockReason: null,
          agentClockOffsetMs: null,
          agentClock: null,
          monitor: null,
        };
    fleet.sites.set(site.id, site);
    const cameras: CameraView[] = [];
    const approvedSet = new Set(approved);
    for (const cam of fleet.camerasOfSite(record.id)) {
      const next: CameraView = {
        ...cam,
        councilId: record.councilId,
        hubId: record.hubId,
        approval: approvedSet.has(cam.id) ? 'approved' : cam.approval,
      };
      fleet.cameras.set(cam.id, next);
      cameras.push(next);
    }
    this.deps.publish({ cameras, sites: [site] }, announce);
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.deps.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        (rollbackError: Error) => client.release(rollbackError),
      );
      throw error;
    }
  }
}

/** Each camera network entry must parse; the 400 names the entry. */
function checkNetworks(entries: readonly string[]): void {
  entries.forEach((entry, i) => {
    try {
      parseNetworkEntry(entry);
    } catch (error) {
      throw new HttpError(400, 'BAD_NETWORK', `cameraNetworks/${i}: ${(error as Error).message}`);
    }
  });
}
