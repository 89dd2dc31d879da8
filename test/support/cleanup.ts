/**
 * Runs every closer even when an earlier one fails (a browser that will not close must not leave a
 * hub running), then reports all failures together.
 */
export async function closeAll(...closers: (() => Promise<unknown> | undefined)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closers) {
    try {
      await close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'test cleanup failed');
}

/**
 * Starts things side by side and waits for every one to settle before reporting the first failure,
 * so what did start has been assigned (by each promise's own `then`) for afterAll to stop.
 */
export async function startTogether(...starts: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(starts);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'starting failed');
}
