import type { WallLayout, WallLayoutBody } from '../../../src/schemas/wall-api.ts';
import type { ApiClient } from '../api.ts';

export type { WallLayout, WallLayoutBody } from '../../../src/schemas/wall-api.ts';

/** The signed-in user's saved camera walls at the hub. */
export class WallApi {
  constructor(private readonly api: ApiClient) {}

  layouts(): Promise<WallLayout[]> {
    return this.api.get('/api/wall-layouts');
  }

  save(name: string, body: WallLayoutBody): Promise<WallLayout> {
    return this.api.send('PUT', `/api/wall-layouts/${encodeURIComponent(name)}`, body);
  }

  remove(name: string): Promise<void> {
    return this.api.send('DELETE', `/api/wall-layouts/${encodeURIComponent(name)}`);
  }
}
