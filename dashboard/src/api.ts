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

/** Raised after `onUnauthorized` has run, so callers can stop quietly. */
export class UnauthorizedError extends ApiRequestError {
  constructor() {
    super(401, 'UNAUTHORIZED', 'Session expired: please log in again');
    this.name = 'UnauthorizedError';
  }
}

async function request<T>(path: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (error) {
    throw new ApiRequestError(0, 'NETWORK', `Cannot reach the hub (${(error as Error).message})`);
  }
  if (response.ok) return (await response.json()) as T;
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

  private async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    try {
      return await request<T>(path, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: signal ?? null,
      });
    } catch (error) {
      if (error instanceof ApiRequestError && error.status === 401) {
        this.onUnauthorized();
        throw new UnauthorizedError();
      }
      throw error;
    }
  }
}
