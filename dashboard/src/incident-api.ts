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

  /**
   * Fields of view for the map: all of them, those reaching into a box (a map view, [west, south,
   * east, north]), or with a limit only the first few and how many there are (numberMatched).
   */
  fieldsOfView(
    query: { bbox?: readonly [number, number, number, number]; limit?: number },
    signal?: AbortSignal,
  ): Promise<FovCollection> {
    const params = new URLSearchParams();
    if (query.bbox) params.set('bbox', query.bbox.map((n) => n.toFixed(6)).join(','));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const search = params.toString();
    return this.api.get(`/api/cameras/fov${search ? `?${search}` : ''}`, signal);
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
