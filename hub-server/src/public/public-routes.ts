import { existsSync, readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { EN } from '../../../src/public-page/text-en.ts';
import { Id } from '../../../src/schemas/common.ts';
import {
  PublicPageData,
  PublicPageSettings,
  PublicPageSettingsView,
} from '../../../src/schemas/public-page.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { API_ERRORS, HttpError } from '../http/common.ts';
import {
  FALLBACK_SHELL,
  placesCsv,
  placesGeoJson,
  renderIndex,
  renderNotFound,
  renderPublicPage,
} from './public-page-html.ts';
import type { PublicPageService } from './public-page-service.ts';

export interface PublicRouteDeps {
  pages: PublicPageService;
  /** The built page shell (dashboard/dist/council-page.html), read once; absent: a plain one. */
  shellPath: string;
  /** Requests per minute per address to the public pages (lower than the API's). */
  perMinute: number;
  cacheSeconds: number;
}

const TAGS = ['Public pages'];
const CouncilParams = Type.Object({ councilId: Id }, { additionalProperties: false });
const NoQuery = Type.Object({}, { additionalProperties: false });

/**
 * A council's public CCTV page and its downloads, without login: only what the council chose to
 * publish, cached for a few minutes (the data says when it was computed) and rate limited per address.
 * A council that has not switched its page on, and one that does not exist, get the same 404.
 */
export function publicPageRoutes(open: FastifyInstance, deps: PublicRouteDeps): void {
  let shell: string | null = null;
  const shellText = () => {
    shell ??= existsSync(deps.shellPath) ? readFileSync(deps.shellPath, 'utf8') : FALLBACK_SHELL;
    return shell;
  };
  const limits = { rateLimit: { max: deps.perMinute, timeWindow: 60_000 } };
  /** Options of a route under one council's page: public, rate limited, no query. */
  const councilRoute = (summary: string, response?: Record<number, unknown>) => ({
    config: limits,
    schema: {
      tags: TAGS,
      security: [],
      params: CouncilParams,
      querystring: NoQuery,
      summary,
      ...(response ? { response } : {}),
    },
  });
  const cached = (reply: FastifyReply) =>
    reply.header('cache-control', `public, max-age=${deps.cacheSeconds}`).header('x-robots-tag', 'all');
  const html = (reply: FastifyReply, status: number, body: string) =>
    cached(reply).status(status).type('text/html; charset=utf-8').send(body);

  open.get(
    '/public/councils',
    {
      config: limits,
      schema: { tags: TAGS, security: [], querystring: NoQuery, summary: 'Councils that publish a page' },
    },
    async (_request, reply) => html(reply, 200, renderIndex(await deps.pages.published(), EN, shellText())),
  );

  open.get(
    '/public/councils/:councilId',
    councilRoute("A council's public CCTV page (HTML)"),
    async (request, reply) => {
      const { councilId } = request.params as { councilId: string };
      const data = await deps.pages.data(councilId);
      if (!data) return html(reply, 404, renderNotFound(EN, shellText()));
      return html(reply, 200, renderPublicPage(data, EN, shellText()));
    },
  );

  const notFound = (reply: FastifyReply, councilId: string) =>
    reply.status(404).send({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: `no public page for council ${councilId}`,
    });

  open.get(
    '/public/councils/:councilId/data.json',
    councilRoute("The figures of a council's public page", {
      200: PublicPageData,
      404: API_ERRORS[404],
      429: API_ERRORS[429],
    }),
    async (request, reply) => {
      const { councilId } = request.params as { councilId: string };
      const data = await deps.pages.data(councilId);
      if (!data) return notFound(reply, councilId);
      return cached(reply).send(data);
    },
  );

  // The downloads: the same places, under the page's licence, in two encodings.
  const downloads = [
    { ext: 'csv', format: 'CSV', type: 'text/csv; charset=utf-8', body: placesCsv },
    {
      ext: 'geojson',
      format: 'GeoJSON',
      type: 'application/geo+json',
      body: (data: PublicPageData) => JSON.stringify(placesGeoJson(data)),
    },
  ] as const;
  for (const d of downloads)
    open.get(
      `/public/councils/:councilId/cameras.${d.ext}`,
      councilRoute(`Camera places as ${d.format} (the page licence)`),
      async (request, reply) => {
        const { councilId } = request.params as { councilId: string };
        const data = await deps.pages.data(councilId);
        if (!data) return notFound(reply, councilId);
        return cached(reply)
          .type(d.type)
          .header('content-disposition', `attachment; filename="${councilId}-cctv-cameras.${d.ext}"`)
          .header('link', `<${data.licence.url}>; rel="license"`)
          .send(d.body(data));
      },
    );
}

/** The council's settings of its page: its officers and hub operators read and change them, audited. */
export function publicPageSettingsRoutes(
  api: FastifyInstance,
  deps: { pages: PublicPageService; audit: AuditLog; councilExists: (id: string) => Promise<boolean> },
): void {
  const allowed = async (user: { role: string; councilIds: readonly string[] }, councilId: string) => {
    if (user.role !== 'operator' && user.role !== 'council')
      throw new HttpError(
        403,
        'FORBIDDEN',
        "only hub operators and the council's officers manage its public page",
      );
    if (
      (user.role === 'council' && !user.councilIds.includes(councilId)) ||
      !(await deps.councilExists(councilId))
    )
      throw new HttpError(404, 'NOT_FOUND', `council ${councilId} not found`);
  };

  api.get(
    '/api/councils/:councilId/public-page',
    {
      schema: {
        params: CouncilParams,
        response: { 200: Type.Union([PublicPageSettingsView, Type.Null()]), ...API_ERRORS },
      },
    },
    async (request) => {
      const { councilId } = request.params as { councilId: string };
      await allowed(request.user, councilId);
      return deps.pages.settings(councilId);
    },
  );

  api.put(
    '/api/councils/:councilId/public-page',
    {
      schema: {
        params: CouncilParams,
        body: PublicPageSettings,
        response: { 200: PublicPageSettingsView, ...API_ERRORS },
      },
    },
    async (request) => {
      const { councilId } = request.params as { councilId: string };
      await allowed(request.user, councilId);
      const body = request.body as PublicPageSettings;
      const saved = await deps.pages.save(councilId, body, request.user.sub);
      await deps.audit.append({
        kind: 'config.public-page',
        actor: request.user.sub,
        role: request.user.role,
        councilId,
        subject: { type: 'council', id: councilId },
        detail: { ...body },
      });
      request.log.info(
        { user: request.user.sub, councilId, enabled: body.enabled },
        'public page settings saved',
      );
      return saved;
    },
  );
}
