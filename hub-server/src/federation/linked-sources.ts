import type { Logger } from 'pino';
import type { SourceCandidate } from '../../../src/incidents/ranking.ts';
import type { IncidentSearch } from '../../../src/schemas/incident-api.ts';
import { formatIssues, validate } from '../../../src/validation.ts';
import { PeerSourceCandidates } from './federation-routes.ts';
import type { FederationLinks } from './links.ts';
import { callPeer } from './peer-client.ts';

/** A peer's answer is bounded in time and size: a search waits for no hub longer than this. */
const SEARCH_TIMEOUT_MS = 5_000;
const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

export interface LinkedSourceSearch {
  found: SourceCandidate[];
  /** Hubs sharing sources whose sources could not be searched, and why. */
  unavailable: { hub: string; message: string }[];
}

/**
 * Mobile sources other hubs share with this one, around an incident: each owning hub is asked (its
 * tracks and footprints stay there, so its figures are the ones its own search gives), in parallel,
 * each bounded in time and size. An answer lists only sources that hub shares with this one: anything
 * else in it is dropped. A hub whose link is down, or that does not answer, is named as unavailable.
 */
export async function searchLinkedSources(
  links: FederationLinks,
  self: string,
  query: IncidentSearch,
  log: Logger,
): Promise<LinkedSourceSearch> {
  const found: SourceCandidate[] = [];
  const unavailable: LinkedSourceSearch['unavailable'] = [];
  await Promise.all(
    links.sourceHubs().map(async ({ config, state }) => {
      const hub = config.hub;
      if (state !== 'up') {
        unavailable.push({ hub, message: `the link to hub ${hub} is ${state}` });
        return;
      }
      try {
        const answer = await callPeer(config, '/api/federation/v1/sources/search', {
          method: 'POST',
          body: query,
          self,
          timeoutMs: SEARCH_TIMEOUT_MS,
          maxBytes: MAX_ANSWER_BYTES,
        });
        const checked = validate(PeerSourceCandidates, answer, 3);
        if (!checked.ok) throw new Error(`answer refused: ${formatIssues(checked.issues).slice(0, 200)}`);
        for (const candidate of answer as SourceCandidate[])
          if (links.source(candidate.sourceId)?.hub === hub) found.push({ ...candidate, hubId: hub });
      } catch (error) {
        const message = (error as Error).message.slice(0, 300);
        log.warn({ hub, err: message }, 'could not search the mobile sources of a linked hub');
        unavailable.push({ hub, message });
      }
    }),
  );
  unavailable.sort((a, b) => a.hub.localeCompare(b.hub));
  return { found, unavailable };
}
