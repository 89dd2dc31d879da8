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
