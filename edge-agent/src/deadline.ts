import { AgentError, type ErrorContext } from './errors.ts';

/**
 * Races `work` against a timer so a peer that accepts and never answers cannot stall the caller.
 * The timer is always cleared; `onTimeout` lets the caller abort the underlying I/O (socket, child process)
 * so nothing keeps running after the deadline.
 */
export function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  context: ErrorContext,
  onTimeout?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(
        new AgentError(
          'timeout',
          `${context.operation ?? 'request'} gave no answer within ${timeoutMs} ms`,
          context,
        ),
      );
    }, timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
