import type { Static } from '@sinclair/typebox';
import type { CouncilView } from '../../src/schemas/api.ts';
import type {
  ApiKeyCreate,
  ApiKeyCreated as ApiKeyCreatedSchema,
  ApiKeyView,
  PasswordChange,
  PasswordReset,
  SessionView,
  UserCreate,
  UserCreated as UserCreatedSchema,
  UserUpdate,
  UserView,
} from '../../src/schemas/auth-api.ts';
import type { ApiClient } from './api.ts';

// Shapes come from the contract in src/schemas (type-only imports keep TypeBox out of the bundle).
export type { ApiKeyCreate, ApiKeyView, SessionView, UserCreate, UserUpdate, UserView };
/** A user after a change; `password` is the generated one, handed out once. */
export type UserChanged = Static<typeof UserCreatedSchema>;
/** A new API key; `key` is its secret, handed out once. */
export type ApiKeyCreated = Static<typeof ApiKeyCreatedSchema>;

const enc = encodeURIComponent;

/** The signed-in user's own account: password and sessions. */
export class AccountApi {
  constructor(private readonly api: ApiClient) {}

  /** Ends every session of the user, this one included. */
  changePassword(body: PasswordChange): Promise<{ sessionsEnded: number }> {
    return this.api.send('POST', '/api/auth/password', body);
  }

  sessions(): Promise<SessionView[]> {
    return this.api.get('/api/auth/sessions');
  }

  endSession(id: string): Promise<void> {
    return this.api.send('DELETE', `/api/auth/sessions/${enc(id)}`);
  }
}

/** Users and API keys, for hub operators (the hub answers 403 to anybody else). */
export class AdminApi {
  constructor(private readonly api: ApiClient) {}

  councils(): Promise<CouncilView[]> {
    return this.api.councils();
  }

  users(): Promise<UserView[]> {
    return this.api.get('/api/users');
  }

  createUser(body: UserCreate): Promise<UserChanged> {
    return this.api.send('POST', '/api/users', body);
  }

  updateUser(username: string, body: UserUpdate): Promise<UserChanged> {
    return this.api.send('PATCH', `/api/users/${enc(username)}`, body);
  }

  /** Without a password the hub generates one and returns it once. */
  resetPassword(username: string, body: PasswordReset): Promise<UserChanged> {
    return this.api.send('POST', `/api/users/${enc(username)}/password`, body);
  }

  removeUser(username: string): Promise<void> {
    return this.api.send('DELETE', `/api/users/${enc(username)}`);
  }

  apiKeys(): Promise<ApiKeyView[]> {
    return this.api.get('/api/api-keys');
  }

  createApiKey(body: ApiKeyCreate): Promise<ApiKeyCreated> {
    return this.api.send('POST', '/api/api-keys', body);
  }

  revokeApiKey(id: string): Promise<void> {
    return this.api.send('DELETE', `/api/api-keys/${enc(id)}`);
  }
}
