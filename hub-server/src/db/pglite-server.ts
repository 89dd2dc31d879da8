/**
 * Child process hosting the embedded database: PGlite (PostgreSQL in WebAssembly) with PostGIS,
 * served over the PostgreSQL wire protocol so the hub uses `pg` for both embedded and real
 * PostgreSQL. PGlite runs on its caller's thread, so it lives here, off the hub's event loop.
 * It listens only on the Unix socket the parent names, in a directory only the hub's user may
 * enter (see embedded-database.ts): PGlite itself lets any client in as superuser.
 *
 * Protocol with the parent (IPC): receives {dataDir, socketPath, maxConnections, checkpointEveryMs};
 * sends {ready} or {error}, then {checkpoint} after each checkpoint run or failed (idle-checkpoint.ts).
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Extension, PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { ExtendedQueryGuard } from './extended-query-guard.ts';
import { QueryBoundary, scheduleCheckpoints } from './idle-checkpoint.ts';
import { holdsDatabase, postgisCoreBundle } from './postgis-bundle.ts';

interface StartRequest {
  dataDir: string;
  socketPath: string;
  maxConnections: number;
  checkpointEveryMs: number;
}

/**
 * How long a signal waits for the hub's own stop message: longer than the hub's ordered stop takes
 * (its ingest drains within seconds), shorter than a service manager's wait before SIGKILL (90 s).
 */
const SIGNAL_GRACE_MS = 30_000;

function send(message: unknown): void {
  // With the parent gone the channel is closed: a send would fail with an 'error' event nobody
  // handles, which ends the process before it closes the database.
  if (!process.connected) return;
  process.send?.(message, undefined, undefined, () => undefined);
}

// The bundle PGlite's PostGIS extension loads (it names it relative to its own module).
const POSTGIS_BUNDLE = new URL('./postgis.tar.gz', import.meta.resolve('@electric-sql/pglite-postgis'));

/** PGlite's PostGIS extension, loading the bundle at `bundlePath` instead of its own. */
function postgisFrom(bundlePath: URL): Extension {
  return {
    name: postgis.name,
    setup: async (pg, options) => ({ ...(await postgis.setup(pg, options)), bundlePath }),
  };
}

/**
 * The database as the socket server sees it: the extended query protocol answered as PostgreSQL
 * answers it (extended-query-guard.ts), everything else PGlite's own.
 */
const SIMPLE_QUERY = 0x51; // 'Q'

function guarded(db: PGlite, boundary: QueryBoundary): PGlite {
  const guard = new ExtendedQueryGuard((message, options) => db.execProtocolRawStream(message, options));
  // Methods bound once: the socket server looks some up for every protocol message.
  const methods = new Map<PropertyKey, unknown>([
    [
      'execProtocolRawStream',
      async (...args: Parameters<ExtendedQueryGuard['execProtocolRawStream']>) => {
        try {
          await guard.execProtocolRawStream(...args);
        } finally {
          boundary.ran(args[0][0]);
        }
      },
    ],
    // The socket server rolls back a closed connection's transaction with exec(): a new session state.
    [
      'exec',
      (...args: Parameters<PGlite['exec']>) => {
        guard.reset();
        // A simple query, which ends what a closed connection's Parse or Execute left open.
        boundary.ran(SIMPLE_QUERY);
        return db.exec(...args);
      },
    ],
  ]);
  return new Proxy(db, {
    get(target, property) {
      const known = methods.get(property);
      if (known !== undefined) return known;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = value.bind(target);
      methods.set(property, bound);
      return bound;
    },
  });
}

async function start(request: StartRequest): Promise<void> {
  // A database made before starts with PostGIS's core files only (postgis-bundle.ts); a new one
  // starts with the whole bundle and keeps the core copy for its next start.
  const existing = holdsDatabase(request.dataDir);
  const extension = existing ? postgisFrom(postgisCoreBundle(request.dataDir, POSTGIS_BUNDLE)) : postgis;
  const db = await PGlite.create(request.dataDir, { extensions: { postgis: extension } });
  // Extension creation is slow the first time (~5 s), so do it here once rather than in a migration
  // that real PostgreSQL would also run; migrations still say CREATE EXTENSION IF NOT EXISTS.
  await db.exec('CREATE EXTENSION IF NOT EXISTS postgis');
  if (!existing) postgisCoreBundle(request.dataDir, POSTGIS_BUNDLE);
  const boundary = new QueryBoundary();
  const server = new PGLiteSocketServer({
    db: guarded(db, boundary),
    path: request.socketPath,
    maxConnections: request.maxConnections,
  });
  await server.start();
  const stopCheckpoints = scheduleCheckpoints(db, boundary, request.checkpointEveryMs, (outcome) =>
    send({ checkpoint: outcome }),
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    // No checkpoint starts from here; one under way ends before the database closes.
    const checkpointsStopped = stopCheckpoints();
    await server.stop();
    await checkpointsStopped;
    await db.close();
    // The parent removes the socket directory too; this covers a parent that died without stopping us.
    rmSync(dirname(request.socketPath), { recursive: true, force: true });
    process.exit(0);
  };
  // Ctrl-C, `timeout` or a service manager signals the whole process group: the hub then stops in
  // order (ingest drained, notifications sent, the database last) and tells us when, so a signal
  // only starts a deadline here. Signalled alone, or with the hub gone, we stop on our own.
  const onSignal = () => {
    if (!process.connected) {
      void shutdown();
      return;
    }
    setTimeout(() => void shutdown(), SIGNAL_GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('message', (message: { stop?: boolean }) => {
    if (message?.stop) void shutdown();
  });
  // Without a parent there is nobody to serve: stop rather than linger as an orphan.
  process.on('disconnect', () => void shutdown());
  send({ ready: true });
}

process.once('message', (request: StartRequest) => {
  start(request).catch((error: unknown) => {
    send({ error: error instanceof Error ? `${error.message}` : String(error) });
    process.exit(1);
  });
});
