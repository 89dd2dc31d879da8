import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { bearerCheck } from '../../../src/metrics/derived.ts';
import { Id } from '../../../src/schemas/common.ts';
import { FederationSnapshot, LinkStatus } from '../../../src/schemas/federation.ts';
import { API_ERRORS, assertRole, HttpError } from '../http/common.ts';

export interface PeerRouteDeps {
  /** Per peer hub, its hub-to-hub key (federation.shares[].keyFile). */
  peerKeys: ReadonlyMap<string, string>;
  snapshot: (peer: string) => FederationSnapshot | null;
  /** A refused request, for the log (the key is never logged). */
  refused: (peer: string, ip: string, why: string) => void;
}

/**
 * What a peer hub reads with its hub-to-hub key (no user session): the full snapshot of what this
 * hub shares with it. The key of one peer never reads another peer's share.
 */
export function federationPeerRoutes(open: FastifyInstance, deps: PeerRouteDeps): void {
  const checks = new Map([...deps.peerKeys].map(([peer, key]) => [peer, bearerCheck(key)]));
  open.get(
    '/api/federation/v1/snapshot',
    {
      schema: {
        querystring: Type.Object({ peer: Id }, { additionalProperties: false }),
        response: { 200: FederationSnapshot, ...API_ERRORS },
      },
    },
    async (request) => {
      const { peer } = request.query as { peer: string };
      const check = checks.get(peer);
      if (!check?.(request.headers.authorization)) {
        deps.refused(peer, request.ip, check ? 'wrong key' : 'not a peer of this hub');
        throw new HttpError(401, 'PEER_KEY_INVALID', 'no share for this peer and key');
      }
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
