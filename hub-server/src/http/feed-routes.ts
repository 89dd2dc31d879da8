import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type FeedOpen, FeedOpen as FeedOpenSchema, FeedSessionView } from '../../../src/schemas/feed-api.ts';
import { INCIDENT_REF_PATTERN } from '../../../src/schemas/incident-ref.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { LINKED_FEEDS_PREFIX, type LinkedFeeds } from '../federation/linked-feeds.ts';
import { type PeerEndpoint, streamFromPeer } from '../federation/peer-client.ts';
import { type FeedCamera, FeedError, type FeedManager } from '../feeds/feed-manager.ts';
import type { FeedUrlSigner } from '../feeds/signed-url.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import { API_ERRORS, ApiErrorSchema, assertRole, HttpError, scopeOf } from './common.ts';

const errors = { ...API_ERRORS, 502: ApiErrorSchema, 503: ApiErrorSchema };
const VIEWERS = ['controlroom', 'operator'] as const;
const SessionParams = Type.Object(
  { id: Type.String({ pattern: '^[0-9a-f]{32}$' }) },
  { additionalProperties: false },
);

/**
 * Opening, listing and closing feed sessions (authenticated, audited). Every attempt by a signed-in
 * user leaves one entry: feed.start, feed.refused (with the refusal's code) or feed.failed; refusals
 * are bounded by the per-address API rate limit (http.rateLimitPerMinute), so they cannot flood the log.
 */
export function feedRoutes(
  api: FastifyInstance,
  deps: {
    feeds: FeedManager;
    fleet: FleetRepository;
    audit: AuditLog;
    /** A mobile source's feed target (its registered stream), for control rooms and operators. */
    source?: (id: string) => FeedCamera | null;
    /** Cameras other hubs share with this one: their feeds open at the owning hub. */
    linked?: {
      camera: (id: string, scope: readonly string[] | null) => { hub: string; councilId: string } | null;
      /** Mobile sources other hubs share with this one: the hub that owns each. */
      source?: (id: string) => { hub: string } | null;
      feeds: LinkedFeeds;
    };
  },
): void {
  api.post(
    '/api/feeds',
    {
      // Validation is attached, not thrown, so a malformed attempt (no incident reference) is audited too.
      attachValidation: true,
      schema: { body: FeedOpenSchema, response: { 201: FeedSessionView, ...errors } },
    },
    async (request, reply) => {
      let councilId: string | null = null;
      try {
        if (request.validationError) throw request.validationError;
        assertRole(request.user, VIEWERS, 'opening a live feed');
        const body = request.body as FeedOpen;
        // A mobile source's id stands in place of a camera's (ids are unique across both at a hub).
        const source =
          request.user.role === 'controlroom' || request.user.role === 'operator'
            ? (deps.source?.(body.cameraId) ?? null)
            : null;
        if (source) {
          const session = await deps.feeds.open(source, request.user, body.incidentRef, body.reason);
          return reply.status(201).send(session);
        }
        const linkedSource =
          request.user.role === 'controlroom' || request.user.role === 'operator'
            ? (deps.linked?.source?.(body.cameraId) ?? null)
            : null;
        if (linkedSource && deps.linked) {
          const session = await deps.linked.feeds.open(
            request.user,
            { hub: linkedSource.hub, councilId: null },
            body,
          );
          return reply.status(201).send(session);
        }
        const camera = await deps.fleet.feedTarget(body.cameraId, scopeOf(request.user));
        const linked = camera ? null : (deps.linked?.camera(body.cameraId, scopeOf(request.user)) ?? null);
        if (linked && deps.linked) {
          councilId = linked.councilId;
          const session = await deps.linked.feeds.open(request.user, linked, body);
          return reply.status(201).send(session);
        }
        if (!camera) throw new HttpError(404, 'NOT_FOUND', `camera ${body.cameraId} not found`);
        councilId = camera.councilId;
        const session = await deps.feeds.open(camera, request.user, body.incidentRef, body.reason);
        return reply.status(201).send(session);
      } catch (error) {
        // Failures after the pull was asked for are audited by the feed manager (feed.failed).
        const refusal = refusalOf(error, request.validationError);
        if (refusal) {
          const asked = attemptOf(request.body);
          await deps.audit.append({
            kind: 'feed.refused',
            actor: request.user.sub,
            role: request.user.role,
            councilId,
            ...(asked.cameraId ? { cameraId: asked.cameraId } : {}),
            incidentRef: asked.incidentRef,
            reason: asked.reason,
            detail: refusal,
          });
        }
        throw error;
      }
    },
  );

  api.get(
    '/api/feeds',
    { schema: { response: { 200: Type.Array(FeedSessionView), ...errors } } },
    async (request) => {
      assertRole(request.user, VIEWERS, 'live feeds');
      const all = [...deps.feeds.list(), ...(deps.linked?.feeds.list() ?? [])];
      // A control room sees its own sessions; a hub operator sees every session on the hub.
      return request.user.role === 'operator' ? all : all.filter((s) => s.user === request.user.sub);
    },
  );

  api.delete(
    '/api/feeds/:id',
    { schema: { params: SessionParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      assertRole(request.user, VIEWERS, 'closing a live feed');
      const { id } = request.params as { id: string };
      const linked = deps.linked?.feeds.get(id);
      if (linked && deps.linked && (request.user.role === 'operator' || linked.user === request.user.sub)) {
        await deps.linked.feeds.close(id);
        return reply.status(204).send();
      }
      const session = deps.feeds.get(id);
      if (!session || (request.user.role !== 'operator' && session.user !== request.user.sub))
        throw new HttpError(404, 'NOT_FOUND', `feed session ${id} not found`);
      await deps.feeds.close(id, 'closed');
      return reply.status(204).send();
    },
  );
}

/** A refusal's code for the audit log, or null for an error that is not a refusal (a failed pull, a 5xx). */
function refusalOf(
  error: unknown,
  validation:
    | (Error & { validation?: { instancePath: string; params: Record<string, unknown> }[] })
    | undefined,
): { status: number; code: string; message: string } | null {
  if (validation && error === validation) {
    const issues = validation.validation ?? [];
    const onRef = issues.find(
      (v) => v.instancePath === '/incidentRef' || v.params.missingProperty === 'incidentRef',
    );
    const code = !onRef
      ? 'INVALID_REQUEST'
      : onRef.params.missingProperty === 'incidentRef'
        ? 'INCIDENT_REF_MISSING'
        : 'INCIDENT_REF_INVALID';
    return { status: 400, code, message: validation.message.slice(0, 300) };
  }
  if (error instanceof HttpError || (error instanceof FeedError && error.statusCode < 500))
    return { status: error.statusCode, code: error.code, message: error.message };
  return null;
}

/** What the attempt asked for, as far as it is readable: only well-formed values reach the log. */
function attemptOf(body: unknown): {
  cameraId: string | null;
  incidentRef: string | null;
  reason: string | null;
} {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (v: unknown, max: number, pattern?: RegExp) =>
    typeof v === 'string' && v.length > 0 && v.length <= max && (!pattern || pattern.test(v)) ? v : null;
  return {
    cameraId: text(b.cameraId, 64, CAMERA_ID),
    incidentRef: text(b.incidentRef, 64, INCIDENT_REF),
    reason: text(b.reason, 500),
  };
}

const CAMERA_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const INCIDENT_REF = new RegExp(`^${INCIDENT_REF_PATTERN}$`);

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
};

function refuse(reply: FastifyReply, status: number, code: string, message: string) {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .send({ statusCode: status, code, error: 'Error', message });
}

/**
 * The signed feed files: playlists, segments and a snapshot. No bearer token (a video element
 * cannot send one, and tokens never go into URLs): the path's signature and expiry are the authority.
 */
export function feedFileRoutes(
  app: FastifyInstance,
  deps: { feeds: FeedManager; signer: FeedUrlSigner; now: () => number },
): void {
  app.get(
    '/feeds/:session/:expires/:signature/:file',
    {
      schema: {
        hide: true,
        params: Type.Object(
          {
            session: Type.String({ pattern: '^[0-9a-f]{32}$' }),
            expires: Type.String({ maxLength: 16 }),
            signature: Type.String({ maxLength: 64 }),
            // Only the names a feed writes: nothing else (no dots, no slashes) reaches the file system.
            file: Type.String({ pattern: '^(index\\.m3u8|seg[0-9]{1,9}\\.ts|snapshot\\.jpg)$' }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const p = request.params as { session: string; expires: string; signature: string; file: string };
      const verdict = deps.signer.check(p.session, p.expires, p.signature, deps.now());
      if (verdict === 'tampered') return refuse(reply, 403, 'FEED_URL_INVALID', 'this feed URL is not valid');
      if (verdict === 'expired')
        return refuse(reply, 410, 'FEED_URL_EXPIRED', 'this feed URL has expired: open the feed again');
      if (p.file === 'snapshot.jpg') {
        const jpeg = await deps.feeds.snapshot(p.session);
        if (!jpeg) return refuse(reply, 404, 'FEED_ENDED', 'this feed session has ended');
        return reply.header('content-type', 'image/jpeg').header('cache-control', 'no-store').send(jpeg);
      }
      const found = deps.feeds.file(p.session, p.file);
      if (!found) return refuse(reply, 404, 'FEED_ENDED', 'this feed session has ended or has no such file');
      const size = await stat(found.path).then(
        (s) => s.size,
        () => null,
      );
      if (size === null) return refuse(reply, 404, 'NOT_FOUND', `${p.file} is not available (any more)`);
      const ext = p.file.slice(p.file.lastIndexOf('.') + 1);
      return reply
        .header('content-type', CONTENT_TYPES[ext] ?? 'application/octet-stream')
        .header('cache-control', 'no-store')
        .header('content-length', size)
        .send(createReadStream(found.path));
    },
  );
}

/**
 * Another hub's signed feed files, relayed: /linked-feeds/<hub>/feeds/<session>/<expires>/<signature>/<file>.
 * Only for hubs this one links to, only the names a feed writes; the owning hub checks its signature.
 */
export function linkedFeedFileRoutes(
  app: FastifyInstance,
  deps: { peer: (hub: string) => PeerEndpoint | null },
): void {
  app.get(
    `${LINKED_FEEDS_PREFIX}/:hub/*`,
    {
      schema: {
        hide: true,
        params: Type.Object(
          {
            hub: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
            // A feed file of the owning hub, or (passed on from hub to hub) of a hub it links to in
            // turn, at most two links further: only the names a feed writes.
            '*': Type.String({ pattern: LINKED_FEED_PATH, maxLength: 400 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const p = request.params as { hub: string; '*': string };
      const peer = deps.peer(p.hub);
      if (!peer) return refuse(reply, 404, 'NOT_FOUND', `no link to hub ${p.hub}`);
      let upstream: Awaited<ReturnType<typeof streamFromPeer>>;
      try {
        upstream = await streamFromPeer(peer, `/${p['*']}`);
      } catch (error) {
        return refuse(reply, 502, 'OWNING_HUB_UNAVAILABLE', (error as Error).message);
      }
      const status = upstream.statusCode ?? 502;
      const type = upstream.headers['content-type'];
      reply.status(status).header('cache-control', 'no-store');
      if (typeof type === 'string') reply.header('content-type', type);
      return reply.send(upstream);
    },
  );
}

const LINKED_FEED_PATH =
  '^(linked-feeds/[a-z0-9][a-z0-9-]{0,62}/){0,2}feeds/[0-9a-f]{32}/[0-9]{1,16}/[A-Za-z0-9_-]{1,64}/(index\\.m3u8|seg[0-9]{1,9}\\.ts|snapshot\\.jpg)$';
