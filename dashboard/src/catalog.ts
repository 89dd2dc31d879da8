import type { CouncilView, HubView } from '../../src/schemas/api.ts';
import type { LiveStore } from './live.ts';

/** Names for ids: hubs and councils from REST, sites and cameras from the live store. */
export class Catalog {
  readonly hubs = new Map<string, HubView>();
  readonly councils = new Map<string, CouncilView>();

  constructor(private readonly store: LiveStore) {}

  setHubs(hubs: HubView[]): void {
    this.hubs.clear();
    for (const hub of hubs) this.hubs.set(hub.id, hub);
  }

  setCouncils(councils: CouncilView[]): void {
    this.councils.clear();
    for (const council of councils) this.councils.set(council.id, council);
  }

  hubName(id: string): string {
    return this.hubs.get(id)?.name ?? id;
  }

  councilName(id: string): string {
    return this.councils.get(id)?.name ?? id;
  }

  siteName(id: string): string {
    return this.store.sites.get(id)?.name ?? id;
  }

  cameraName(id: string): string {
    return this.store.cameras.get(id)?.name ?? id;
  }
}
