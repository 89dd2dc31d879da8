import type {
  ApiError,
  CameraDetail,
  CouncilView,
  HubView,
  LoginBody,
  LoginResponse,
  SiteView,
  UiConfig,
} from '../../src/schemas/api.ts';

/** A failed API call, with the hub's stable error code when it sent one. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** What the login screen says after the hub refused the session (expired, revoked, user changed). */
export const SESSION_ENDED_NOTICE = 'Your session ended: sign in again.';

/** Raised after `onUnauthorized` has run, so callers can stop quietly. */
export class UnauthorizedError extends ApiRequestError {
  constructor(code: string) {
    super(401, code, SESSION_ENDED_NOTICE);
    this.name = 'UnauthorizedError';
  }
}

/** The hub's messages are lower-case clauses ("user x already exists"): shown as a sentence. */
export function hubMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** `raw` hands back the Response itself (for files); otherwise the JSON body, or undefined for 204. */
async function request<T>(path: string, init: RequestInit & { raw?: boolean }): Promise<T> {
  const { raw, ...fetchInit } = init;
  let response: Response;
  try {
    response = await fetch(path, {
      ...fetchInit,
      headers: { accept: 'application/json', ...fetchInit.headers },
    });
  } catch (error) {
    throw new ApiRequestError(0, 'NETWORK', `Cannot reach the hub (${(error as Error).message})`);
  }
  if (response.ok) {
    if (raw) return response as T;
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
  let body: Partial<ApiError> = {};
  try {
    body = (await response.json()) as Partial<ApiError>;
  } catch {
    // Non-JSON error bodies (a proxy's HTML page) fall back to the status text below.
  }
  throw new ApiRequestError(
    response.status,
    body.code ?? `HTTP_${response.status}`,
    body.message ?? `${response.status} ${response.statusText}`,
  );
}

/** Calls that need no session. */
export const publicApi = {
  uiConfig: (): Promise<UiConfig> => request<UiConfig>('/api/ui-config', {}),
  login: (body: LoginBody): Promise<LoginResponse> =>
    request<LoginResponse>('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
};

/**
 * Ends the session on the hub (`POST /api/auth/logout`), outside the client so a 401 (the session was
 * already over) does not bounce the user to the login screen a second time. `keepalive` lets the call
 * finish when the page is closed or navigated away right after.
 */
export function signOut(token: string, timeoutMs = 5000): Promise<void> {
  return request<void>('/api/auth/logout', {
    method: 'POST',
    keepalive: true,
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
}

/**
 * Same-origin hub REST client with the bearer token. The hub validates its responses against the
 * schemas in src/schemas, so the browser trusts their shape rather than shipping a validator.
 */
export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
  ) {}

  hubs(): Promise<HubView[]> {
    return this.get<HubView[]>('/api/hubs');
  }

  councils(): Promise<CouncilView[]> {
    return this.get<CouncilView[]>('/api/councils');
  }

  sites(): Promise<SiteView[]> {
    return this.get<SiteView[]>('/api/sites');
  }

  camera(id: string, signal?: AbortSignal): Promise<CameraDetail> {
    return this.get<CameraDetail>(`/api/cameras/${encodeURIComponent(id)}`, signal);
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.call(() =>
      request<T>(path, { headers: { authorization: `Bearer ${this.token}` }, signal: signal ?? null }),
    );
  }

  /**
   * A write; `undefined` for 204 No Content. `keepalive` lets the request outlive the page (closing
   * feed sessions as the tab goes away).
   */
  send<T>(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    options: { keepalive?: boolean } = {},
  ): Promise<T> {
    return this.call(() =>
      request<T>(path, {
        method,
        keepalive: options.keepalive ?? false,
        headers:
          body === undefined
            ? { authorization: `Bearer ${this.token}` }
            : { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      }),
    );
  }

  /**
   * A file the hub serves only with the bearer token (reports), so it cannot be a plain link:
   * fetched here and handed back as a blob with the file name from content-disposition.
   */
  download(path: string): Promise<{ blob: Blob; fileName: string | null }> {
    return this.call(async () => {
      const response = await request<Response>(path, {
        headers: { authorization: `Bearer ${this.token}`, accept: '*/*' },
        raw: true,
      });
      const disposition = response.headers.get('content-disposition') ?? '';
      const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? null;
      return { blob: await response.blob(), fileName };
    });
  }

  /** A write whose answer is a file (a camera snapshot): the JSON body is sent, the blob handed back. */
  fetchBlob(method: 'POST', path: string, body: unknown): Promise<{ blob: Blob; type: string }> {
    return this.call(async () => {
      const response = await request<Response>(path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/json',
          accept: 'image/jpeg, application/json',
        },
        body: JSON.stringify(body),
        raw: true,
      });
      return { blob: await response.blob(), type: response.headers.get('content-type') ?? '' };
    });
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ApiRequestError && error.status === 401) {
        this.onUnauthorized();
        throw new UnauthorizedError(error.code);
      }
      throw error;
    }
  }
}
