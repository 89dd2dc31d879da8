import { stripUrlCredentials } from '../../src/config/resolve.ts';

/**
 * Stable codes for everything that can go wrong while watching a camera. The first four double as
 * `ReasonCode`s in health messages; the rest stay inside the agent (logs, stats).
 */
export type AgentErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'auth_failed'
  | 'onvif_error'
  | 'no_video'
  | 'stream_error'
  | 'snapshot_failed'
  | 'image_decode_failed'
  | 'aborted'
  | 'publish_invalid'
  | 'not_started'
  | 'outbox_locked'
  | 'outbox_refused'
  | 'outbox_closed';

export interface ErrorContext {
  siteId?: string;
  cameraId?: string;
  /** Always stored without credentials. */
  url?: string;
  operation?: string;
}

export class AgentError extends Error {
  readonly context: ErrorContext;

  constructor(
    readonly code: AgentErrorCode,
    message: string,
    context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(stripUrlCredentials(message), options);
    this.name = 'AgentError';
    this.context =
      context.url === undefined ? context : { ...context, url: stripUrlCredentials(context.url) };
  }

  /** Plain object for structured logs: code, message and context, never credentials. */
  toLog(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.context };
  }
}

/** Socket error codes that mean "nothing answers at that address". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
]);

export function isUnreachableCode(code: unknown): boolean {
  return typeof code === 'string' && UNREACHABLE_CODES.has(code);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
