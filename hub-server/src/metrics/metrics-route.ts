import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { bearerCheck } from '../../../src/metrics/derived.ts';

/**
 * GET /metrics in Prometheus text format, for a scraper holding the metrics token (Authorization:
 * Bearer). Any local user of the hub's host is a stranger, so a loopback address alone is no
 * protection; with no token configured the route does not exist. The token is compared in constant
 * time, and a refused scrape says nothing about the metrics.
 */
export function metricsRoute(app: FastifyInstance, registry: Registry, token: string | null): void {
  if (token === null || token === '') return;
  const authorized = bearerCheck(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!authorized(request.headers.authorization)) {
      return reply.status(401).header('www-authenticate', 'Bearer realm="metrics"').send({
        statusCode: 401,
        code: 'METRICS_TOKEN',
        error: 'Unauthorized',
        message: 'metrics need the metrics token',
      });
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
