import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { LazyCompilers } from '../../../hub-server/src/http/lazy-compilers.ts';

function app(compilers: LazyCompilers) {
  const server = Fastify({
    schemaController: { compilersFactory: compilers.factory },
    // As the hub sets them: an unknown field is refused, not silently removed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  server.post(
    '/things',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 2 }, count: { type: 'integer' } },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            properties: { name: { type: 'string' }, count: { type: 'integer' } },
          },
        },
      },
    },
    async (request) => ({ ...(request.body as object), secret: 'never serialised' }),
  );
  return server;
}

describe('lazy route schema compilers', () => {
  it('compile nothing before the first request, then validate and serialise as fastify would', async () => {
    const compilers = new LazyCompilers();
    const server = app(compilers);
    await server.ready();
    expect(compilers.waiting).toBeGreaterThanOrEqual(2); // the body validator and the 200 serialiser

    const bad = await server.inject({ method: 'POST', url: '/things', payload: { name: 'x' } });
    expect(bad.statusCode).toBe(400);
    // ajv's errors reach fastify through the stand-in: the message names the field and the rule.
    expect(bad.json().message).toMatch(/body\/name must NOT have fewer than 2 characters/);
    const unknown = await server.inject({ method: 'POST', url: '/things', payload: { name: 'xy', x: 1 } });
    expect(unknown.statusCode).toBe(400);

    const good = await server.inject({ method: 'POST', url: '/things', payload: { name: 'xy', count: 3 } });
    expect(good.statusCode).toBe(200);
    // The response serialiser drops what the schema does not name.
    expect(good.json()).toEqual({ name: 'xy', count: 3 });
    expect(compilers.waiting).toBe(0);
    await server.close();
  });

  it('warm-up compiles every schema no request has needed, and reports one that does not compile', async () => {
    const compilers = new LazyCompilers();
    const server = app(compilers);
    server.get(
      '/broken',
      { schema: { querystring: { type: 'object', properties: { n: { type: 'no-such-type' } } } } },
      async () => 'never',
    );
    await server.ready();
    const waiting = compilers.waiting;
    const errors: Error[] = [];
    const compiled = await compilers.warmUp((error) => errors.push(error));
    // The broken querystring schema is registered twice (GET and the HEAD route fastify adds).
    expect(errors).toHaveLength(2);
    for (const error of errors)
      expect(error.message).toMatch(/no-such-type|must be equal to one of the allowed values/);
    expect(compiled).toBe(waiting - errors.length);
    expect(compilers.waiting).toBe(errors.length);
    const good = await server.inject({ method: 'POST', url: '/things', payload: { name: 'xy' } });
    expect(good.statusCode).toBe(200);
    await server.close();
  });
});
