/**
 * Child process hosting the embedded database: PGlite (PostgreSQL in WebAssembly) with PostGIS,
 * served over the PostgreSQL wire protocol on 127.0.0.1 so the hub uses `pg` for both embedded and
 * real PostgreSQL. PGlite runs on its caller's thread, so it lives here, off the hub's event loop.
 *
 * Protocol with the parent (IPC): receives {dataDir, maxConnections}; sends {ready, port} or {error}.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface StartRequest {
  dataDir: string;
  maxConnections: number;
}

function send(message: unknown): void {
  process.send?.(message);
}

async function start(request: StartRequest): Promise<void> {
  mkdirSync(request.dataDir, { recursive: true });
  const db = await PGlite.create(request.dataDir, { extensions: { postgis } });
  // Extension creation is slow the first time (~5 s), so do it here once rather than in a migration
  // that real PostgreSQL would also run; migrations still say CREATE EXTENSION IF NOT EXISTS.
  await db.exec('CREATE EXTENSION IF NOT EXISTS postgis');
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: request.maxConnections,
  });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('message', (message: { stop?: boolean }) => {
    if (message?.stop) void shutdown();
  });
  // Without a parent there is nobody to serve: stop rather than linger as an orphan.
  process.on('disconnect', () => void shutdown());
  send({ ready: true, port });
}

process.once('message', (request: StartRequest) => {
  start(request).catch((error: unknown) => {
    send({ error: error instanceof Error ? `${error.message}` : String(error) });
    process.exit(1);
  });
});
