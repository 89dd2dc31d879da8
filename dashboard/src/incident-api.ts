import type { FeedOpen, FeedSessionView } from '../../src/schemas/feed-api.ts';
import type {
  FovCollection,
  GeometryUpdate,
  IncidentResult,
  IncidentSearch,
  Place,
} from '../../src/schemas/incident-api.ts';
import type { ApiClient } from './api.ts';

// Shapes come from the contract in src/schemas (type-only imports keep TypeBox out of the bundle).
export type { FeedOpen, FeedSessionView } from '../../src/schemas/feed-api.ts';
export type {
  FovCollection,
  GeometryUpdate,
  GeoPolygon,
  IncidentCamera,
  IncidentResult,
  IncidentSearch,
  Place,
} from '../../src/schemas/incident-api.ts';
export type FovFeature = FovCollection['features'][number];
/** The body of a search: defaults (radius, limit) are filled in by the hub. */
export type IncidentQuery = Partial<Pick<IncidentSearch, 'radiusM' | 'limit'>> &
  Omit<IncidentSearch, 'radiusM' | 'limit'>;

const enc = encodeURIComponent;

/** Typed calls of the control-room view on top of the shared REST client. */
export class IncidentApi {
  constructor(private readonly api: ApiClient) {}

  places(q: string, signal?: AbortSignal): Promise<Place[]> {
    return this.api.get(`/api/places?q=${enc(q)}`, signal);
  }

  search(query: IncidentQuery): Promise<IncidentResult> {
    return this.api.send('POST', '/api/incidents/search', query);
  }

  fieldsOfView(signal?: AbortSignal): Promise<FovCollection> {
    return this.api.get('/api/cameras/fov', signal);
  }

  /** Operators only: the surveyed geometry; the hub rebuilds the camera's field of view from it. */
  setGeometry(cameraId: string, update: GeometryUpdate): Promise<void> {
    return this.api.send('PUT', `/api/cameras/${enc(cameraId)}/geometry`, update);
  }

  openFeed(body: FeedOpen): Promise<FeedSessionView> {
    return this.api.send('POST', '/api/feeds', body);
  }

  closeFeed(id: string, keepalive = false): Promise<void> {
    return this.api.send('DELETE', `/api/feeds/${enc(id)}`, undefined, { keepalive });
  }
}
