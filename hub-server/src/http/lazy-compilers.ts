import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Compiled = ((...args: never[]) => unknown) & { errors?: unknown };

/**
 * Fastify's own validator (ajv) and serializer (fast-json-stringify) compilers, made lazy: a route's
 * schema is compiled on its first request, or by warm-up once the hub serves, instead of all at
 * once before it listens. Compiling every route's schemas takes about 0.6 s of the hub's start on
 * two cores, and a restarted hub must serve again within 3 s; the compiled functions are the same
 * ones fastify would have made.
 */
export class LazyCompilers {
  private readonly pending = new Set<() => void>();

  /** For Fastify({ schemaController: { compilersFactory } }). */
  get factory(): NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']> {
    const buildValidator = AjvCompiler();
    const buildSerializer = SerializerSelector();
    return {
      buildValidator: (externalSchemas, options) => {
        const compiler = buildValidator(externalSchemas, options);
        return (route) => this.defer(() => compiler(route) as unknown as Compiled) as never;
      },
      buildSerializer: (externalSchemas, options) => {
        const compiler = buildSerializer(externalSchemas, options);
        return (route) => this.defer(() => compiler(route) as unknown as Compiled) as never;
      },
    };
  }

  /** Schemas registered but not compiled yet. */
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * Compiles whatever no request has needed yet, a few at a time between other work, so the first
   * request of each route pays nothing and a broken schema shows in the log soon after start.
   */
  async warmUp(onError: (error: Error) => void): Promise<number> {
    let compiled = 0;
    for (const compile of [...this.pending]) {
      try {
        compile();
        compiled++;
      } catch (error) {
        onError(error as Error);
      }
      if (compiled % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return compiled;
  }

  /**
   * A stand-in that compiles on first use. ajv reports a failed validation on the function's own
   * `errors` property, which fastify reads from the function it was given: the stand-in mirrors it.
   */
  private defer(compile: () => Compiled): Compiled {
    let compiled: Compiled | null = null;
    const ensure = (): Compiled => {
      if (!compiled) {
        compiled = compile();
        this.pending.delete(ensure);
      }
      return compiled;
    };
    this.pending.add(ensure);
    const standIn: Compiled = (...args: never[]) => {
      const fn = ensure();
      const result = fn(...args);
      standIn.errors = fn.errors;
      return result;
    };
    return standIn;
  }
}
