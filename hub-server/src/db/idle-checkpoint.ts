/**
 * Checkpoints for the embedded database, which has nobody else to make them.
 *
 * PGlite is PostgreSQL in single-user mode: no checkpointer process, so no timed checkpoints, and
 * (measured) none when the write-ahead log passes max_wal_size either: in the ingest benchmark the
 * log grew to 96 segments (1.5 GB) with the control file's checkpoint unchanged from the start, and
 * a plain PGlite passed 1.1 GB the same way. Left alone the log only grows while the hub runs, the
 * disk fills, and a start after a crash replays all of it. A checkpoint lets PostgreSQL recycle the
 * segments before it (what it keeps is bounded by max_wal_size) and bounds the replay.
 *
 * It runs as the socket server runs each client message: under PGlite's exclusive lock, and only
 * between two of a client's queries: PGlite has one session, shared by every connection, so not
 * inside a client's transaction, nor between the Parse and the Sync of one query (a simple Query
 * there would end its implicit transaction and drop its unnamed statement, and the client's Bind
 * would fail).
 */

/** The part of PGlite this uses. */
export interface CheckpointTarget {
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  isInTransaction(): boolean;
  execProtocolRawStream(
    message: Uint8Array,
    options: { onRawData: (data: Uint8Array) => void },
  ): Promise<void>;
}

/**
 * Whether the session stands between two queries: after a Sync or a simple Query, not after a
 * Parse, Bind, Describe, Execute, Close or Flush. Told of every frontend message PGlite runs.
 */
export class QueryBoundary {
  private between = true;

  /** A frontend message (its type byte) has run. */
  ran(type: number | undefined): void {
    if (type === SYNC || type === QUERY) this.between = true;
    else if (type !== undefined && EXTENDED.has(type)) this.between = false;
  }

  get betweenQueries(): boolean {
    return this.between;
  }
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]); // Parse, Bind, Describe, Execute, Close, Flush

export type CheckpointOutcome =
  | { ran: true; ms: number }
  | { ran: false; reason: 'in a query' }
  | { ran: false; reason: 'failed'; error: string };

/** A simple-protocol Query message. */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51; // 'Q'
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

const CHECKPOINT = simpleQuery('CHECKPOINT');
const ERROR_RESPONSE = 0x45; // 'E'
const MESSAGE_FIELD = 0x4d; // 'M': an ErrorResponse's human-readable message

/** The message of the first ErrorResponse in a backend answer, or null. */
function errorIn(answer: Buffer): string | null {
  let at = 0;
  while (at + 5 <= answer.length) {
    const length = answer.readInt32BE(at + 1);
    if (answer[at] === ERROR_RESPONSE) {
      const body = answer.subarray(at + 5, at + 1 + length);
      for (let field = 0; field < body.length && body[field] !== 0; ) {
        const end = body.indexOf(0, field + 1);
        if (body[field] === MESSAGE_FIELD) return body.toString('utf8', field + 1, end);
        field = end + 1;
      }
      return 'error';
    }
    at += 1 + length;
  }
  return null;
}

/** Runs CHECKPOINT now, unless a client's transaction or query is under way. */
export async function checkpointWhenIdle(
  db: CheckpointTarget,
  boundary: QueryBoundary,
): Promise<CheckpointOutcome> {
  return db.runExclusive(async (): Promise<CheckpointOutcome> => {
    if (db.isInTransaction() || !boundary.betweenQueries) return { ran: false, reason: 'in a query' };
    const started = performance.now();
    const chunks: Buffer[] = [];
    await db.execProtocolRawStream(CHECKPOINT, { onRawData: (data) => chunks.push(Buffer.from(data)) });
    const error = errorIn(Buffer.concat(chunks));
    return error === null
      ? { ran: true, ms: performance.now() - started }
      : { ran: false, reason: 'failed', error };
  });
}

/**
 * Checkpoints every `everyMs`; one that meets a transaction or query under way is tried again each
 * `retryMs` until it runs. Returns a function that stops the schedule and resolves once a
 * checkpoint under way (or waiting for the lock) has ended: the database may then be closed.
 */
export function scheduleCheckpoints(
  db: CheckpointTarget,
  boundary: QueryBoundary,
  everyMs: number,
  report: (outcome: CheckpointOutcome) => void,
  retryMs = 1_000,
): () => Promise<void> {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  const plan = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    running = checkpointWhenIdle(db, boundary).then(
      (outcome) => {
        if (outcome.ran || outcome.reason === 'failed') report(outcome);
        plan(outcome.ran || outcome.reason === 'failed' ? everyMs : retryMs);
      },
      (error: unknown) => {
        report({
          ran: false,
          reason: 'failed',
          error: error instanceof Error ? error.message : String(error),
        });
        plan(everyMs);
      },
    );
    void running.finally(() => {
      running = null;
    });
  };
  plan(everyMs);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
