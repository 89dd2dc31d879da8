/**
 * Whether an error means the database cannot be reached right now (refused or dropped connection,
 * server shutting down or starting), as opposed to a fault in a query. Requests failing this way
 * are answered 503 so clients retry, and are logged as a warning rather than an error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  // Node socket errors, and PostgreSQL's connection-exception (08xxx) and operator-intervention
  // shutdown / cannot-connect-now codes.
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|08\d{3}|57P0[1-3])$/.test(code))
    return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
      message,
    )
  );
}
