import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SourceCandidate } from '../../../src/incidents/ranking.ts';
import { bearerCheck } from '../../../src/metrics/derived.ts';
import { Id } from '../../../src/schemas/common.ts';
import { FederationSnapshot, LinkStatus } from '../../../src/schemas/federation.ts';
import { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import { IncidentSearch } from '../../../src/schemas/incident-api.ts';
import { INCIDENT_REF_PATTERN } from '../../../src/schemas/incident-ref.ts';
import { IncidentSource } from '../../../src/schemas/sources.ts';
import { API_ERRORS, assertRole, HttpError } from '../http/common.ts';

export interface PeerRouteDeps {
  /** Per peer hub, its hub-to-hub key (federation.shares[].keyFile). */
  peerKeys: ReadonlyMap<string, string>;
  snapshot: (peer: string) => FederationSnapshot | null;
  /** A refused request, for the log (the key is never logged). */
  refused: (peer: string, ip: string, why: string) => void;
  /** Opens a feed for a user of `peer` (policy, limits and audit of this hub); throws HttpError or FeedError. */
  openFeed: (peer: string, request: PeerFeedRequest) => Promise<FeedSessionView>;
  /** Closes a feed `peer` opened; false when it has no such session. */
  closeFeed: (peer: string, sessionId: string) => Promise<boolean>;
  /** This hub's mobile sources around an incident, of those shared with `peer`. */
  sourceCandidates: (peer: string, query: IncidentSearch) => Promise<SourceCandidate[]>;
}

/** Most sources one answer to a peer's search lists. */
export const MAX_PEER_SOURCE_CANDIDATES = 1000;
export const PeerSourceCandidates = Type.Array(Type.Omit(IncidentSource, ['rank', 'hubId']), {
  maxItems: MAX_PEER_SOURCE_CANDIDATES,
});

export const PeerFeedRequest = Type.Object(
  {
    cameraId: Id,
    incidentRef: Type.String({ pattern: `^${INCIDENT_REF_PATTERN}$` }),
    reason: Type.String({ minLength: 3, maxLength: 500 }),
    /** The user at the peer hub, as the peer names them (audited here as <user>@<peer>). */
    user: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@:-]+$' }),
  },
  { additionalProperties: false },
);
export type PeerFeedRequest = Static<typeof PeerFeedRequest>;

/**
 * What a peer hub reads with its hub-to-hub key (no user session): the full snapshot of what this
 * hub shares with it. The key of one peer never reads another peer's share.
 */
export function federationPeerRoutes(open: FastifyInstance, deps: PeerRouteDeps): void {
  const checks = new Map([...deps.peerKeys].map(([peer, key]) => [peer, bearerCheck(key)]));
  // Checked before anything else (as user tokens are on the rest of the API): a request without a
  // peer's key learns nothing, not even which fields these routes take.
  const peers = new WeakMap<FastifyRequest, string>();
  open.addHook('onRequest', async (request, reply) => {
    const peer = new URL(request.url, 'http://hub').searchParams.get('peer') ?? '';
    const check = checks.get(peer);
    if (!check?.(request.headers.authorization)) {
      deps.refused(peer, request.ip, check ? 'wrong key' : 'not a peer of this hub');
      return reply.status(401).send({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        error: 'Unauthorized',
        message: 'a hub-to-hub key of a peer this hub shares with is required',
      });
    }
    peers.set(request, peer);
  });
  const authorised = (request: FastifyRequest): string => {
    const peer = peers.get(request);
    if (!peer) throw new HttpError(401, 'UNAUTHORIZED', 'no peer key');
    return peer;
  };
  const PeerQuery = Type.Object({ peer: Id }, { additionalProperties: false });
  open.post(
    '/api/federation/v1/feeds',
    {
      schema: {
        querystring: PeerQuery,
        body: PeerFeedRequest,
        response: { 201: FeedSessionView, ...API_ERRORS },
      },
    },
    async (request, reply) => {
      const peer = authorised(request);
      return reply.status(201).send(await deps.openFeed(peer, request.body as PeerFeedRequest));
    },
  );
  open.delete(
    '/api/federation/v1/feeds/:id',
    {
      schema: {
        querystring: PeerQuery,
        params: Type.Object(
          { id: Type.String({ pattern: '^[0-9a-f]{32}$' }) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...API_ERRORS },
      },
    },
    async (request, reply) => {
      const peer = authorised(request);
      const { id } = request.params as { id: string };
      if (!(await deps.closeFeed(peer, id)))
        throw new HttpError(404, 'NOT_FOUND', `feed session ${id} not found`);
      return reply.status(204).send();
    },
  );
  // An incident search at the peer asks here about the sources this hub shares with it: their
  // tracks and footprints stay here, so the figures are the ones this hub's own search gives.
  open.post(
    '/api/federation/v1/sources/search',
    {
      schema: {
        querystring: PeerQuery,
        body: IncidentSearch,
        response: { 200: PeerSourceCandidates, ...API_ERRORS },
      },
    },
    async (request) => {
      const peer = authorised(request);
      const found = await deps.sourceCandidates(peer, request.body as IncidentSearch);
      return found.slice(0, MAX_PEER_SOURCE_CANDIDATES);
    },
  );
  open.get(
    '/api/federation/v1/snapshot',
    {
      schema: {
        querystring: Type.Object({ peer: Id }, { additionalProperties: false }),
        response: { 200: FederationSnapshot, ...API_ERRORS },
      },
    },
    async (request) => {
      const peer = authorised(request);
      const snapshot = deps.snapshot(peer);
      if (!snapshot) throw new HttpError(503, 'NOT_SHARING', 'this process does not publish to peers');
      return snapshot;
    },
  );
}

/** The links to other hubs, for the people who watch this one. */
export function federationStatusRoutes(api: FastifyInstance, deps: { links: () => LinkStatus[] }): void {
  api.get(
    '/api/federation/links',
    { schema: { response: { 200: Type.Array(LinkStatus), ...API_ERRORS } } },
    async (request) => {
      assertRole(request.user, ['operator', 'controlroom', 'auditor'], 'links to other hubs');
      return deps.links();
    },
  );
}
