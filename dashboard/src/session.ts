import type { LoginResponse } from '../../src/schemas/api.ts';

const KEY = 'cctv-hub.session';

/** The login response is kept per tab (sessionStorage): closing the tab logs out. */
export function loadSession(nowMs: number): LoginResponse | null {
  const raw = sessionStorage.getItem(KEY);
  if (raw === null) return null;
  let parsed: LoginResponse;
  try {
    parsed = JSON.parse(raw) as LoginResponse;
  } catch {
    // A corrupt entry is dropped so the user gets a clean login form.
    sessionStorage.removeItem(KEY);
    return null;
  }
  if (typeof parsed.token !== 'string' || !(Date.parse(parsed.expiresAt) > nowMs)) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return parsed;
}

export function saveSession(session: LoginResponse): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
