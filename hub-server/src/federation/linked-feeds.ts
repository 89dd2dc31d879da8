import type { Logger } from 'pino';
import type { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import { FeedSessionView as FeedSessionSchema } from '../../../src/schemas/feed-api.ts';
import { formatIssues, validate } from '../../../src/validation.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { TokenClaims } from '../auth/auth-service.ts';
import { HttpError } from '../http/common.ts';
import { callPeer, PeerCallError, type PeerEndpoint } from './peer-client.ts';

/** Where a linked hub's signed feed files are relayed at this hub: /linked-feeds/<hub>/feeds/... */
export const LINKED_FEEDS_PREFIX = '/linked-feeds';

interface LinkedSession {
  hub: string;
  /** The session as this hub shows it (its URLs through this hub's relay). */
  view: FeedSessionView;
  role: string;
}

export interface LinkedFeedsOptions {
  self: string;
  peer: (hub: string) => PeerEndpoint | null;
  audit: AuditLog;
  log: Logger;
  now?: () => number;
}

/**
 * Feeds of cameras other hubs share with this one. The owning hub opens the feed under its own
 * policy and limits and audits it (actor `<user>@<this hub>`, the same incident reference); this hub
 * audits the request too, and relays the owning hub's signed playlist and segments, so the viewer
 * needs no route to, or account at, the owning hub.
 */
export class LinkedFeeds {
  private readonly sessions = new Map<string, LinkedSession>();

  constructor(private readonly options: LinkedFeedsOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async open(
    user: TokenClaims,
    /** The owning hub, and the camera's council (null for a mobile source). */
    camera: { hub: string; councilId: string | null },
    body: { cameraId: string; incidentRef: string; reason: string },
  ): Promise<FeedSessionView> {
    const peer = this.options.peer(camera.hub);
    if (!peer) throw new HttpError(404, 'NOT_FOUND', `camera ${body.cameraId} not found`);
    let answer: unknown;
    try {
      answer = await callPeer(peer, '/api/federation/v1/feeds', {
        method: 'POST',
        self: this.options.self,
        body: { ...body, user: user.sub },
        timeoutMs: 30_000,
      });
    } catch (error) {
      if (!(error instanceof PeerCallError)) throw error;
      // The owning hub's refusal, passed on in its words; its own unavailability, as such.
      if (error.status >= 400 && error.status < 500)
        throw new HttpError(
          error.status === 404 ? 404 : error.status === 409 ? 409 : error.status === 403 ? 403 : 400,
          error.code ?? 'REFUSED_BY_OWNING_HUB',
          error.message,
        );
      throw new HttpError(503, 'OWNING_HUB_UNAVAILABLE', error.message);
    }
    const checked = validate(FeedSessionSchema, answer, 3);
    if (!checked.ok)
      throw new HttpError(
        503,
        'OWNING_HUB_UNAVAILABLE',
        `hub ${camera.hub} answered: ${formatIssues(checked.issues)}`,
      );
    const remote = checked.value;
    const relay = (path: string) => `${LINKED_FEEDS_PREFIX}/${camera.hub}${path}`;
    const view: FeedSessionView = {
      ...remote,
      user: user.sub,
      url: relay(remote.url),
      snapshotUrl: relay(remote.snapshotUrl),
    };
    this.sessions.set(remote.id, { hub: camera.hub, view, role: user.role });
    await this.options.audit.append({
      kind: 'feed.start',
      actor: user.sub,
      role: user.role,
      councilId: camera.councilId,
      cameraId: body.cameraId,
      incidentRef: body.incidentRef,
      reason: body.reason,
      detail: {
        session: remote.id,
        owningHub: camera.hub,
        startedAt: remote.startedAt,
        expiresAt: remote.expiresAt,
      },
    });
    return view;
  }

  list(): FeedSessionView[] {
    const now = this.now();
    for (const [id, s] of this.sessions) if (Date.parse(s.view.expiresAt) <= now) this.sessions.delete(id);
    return [...this.sessions.values()].map((s) => s.view);
  }

  get(id: string): FeedSessionView | null {
    return this.sessions.get(id)?.view ?? null;
  }

  async close(id: string): Promise<boolean> {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    const peer = this.options.peer(session.hub);
    if (peer)
      await callPeer(peer, `/api/federation/v1/feeds/${id}`, {
        method: 'DELETE',
        self: this.options.self,
      }).catch((error: Error) =>
        this.options.log.warn(
          { hub: session.hub, err: error.message },
          'could not close a feed at its owning hub',
        ),
      );
    await this.options.audit.append({
      kind: 'feed.end',
      actor: session.view.user,
      role: session.role as TokenClaims['role'],
      councilId: session.view.councilId,
      cameraId: session.view.cameraId,
      incidentRef: session.view.incidentRef,
      reason: session.view.reason,
      detail: {
        session: id,
        owningHub: session.hub,
        why: 'closed',
        endedAt: new Date(this.now()).toISOString(),
      },
    });
    return true;
  }
}
