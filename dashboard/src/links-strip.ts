import type { LinkStatus } from '../../src/schemas/federation.ts';
import type { ApiClient } from './api.ts';
import { clear, el } from './dom.ts';
import { clockTime, relativeTime } from './format.ts';

const STATE_WORDS: Record<LinkStatus['state'], string> = {
  up: 'Linked',
  down: 'Link down',
  connecting: 'Not heard from yet',
};

/** How often the links are read again (their state also shows in each camera's state). */
const REFRESH_MS = 10_000;

/**
 * At a hub that receives other hubs' cameras (a force hub): one line per linked hub, saying whether
 * its cameras are live here. Hidden at a hub with no links. A link that is down says since when, and
 * that its cameras show as unknown rather than as their last state.
 */
export class LinksStrip {
  readonly element = el('section', {
    class: 'links-strip',
    'aria-label': 'Links to other hubs',
    hidden: true,
  });
  private readonly list = el('ul', { class: 'links-list' });
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly now: () => number = Date.now,
  ) {
    this.element.append(el('h2', { class: 'links-title' }, 'Other hubs'), this.list);
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async refresh(): Promise<void> {
    let links: LinkStatus[];
    try {
      links = await this.api.get<LinkStatus[]>('/api/federation/links');
    } catch {
      return; // The cameras' own states already say what is known; the strip waits for the next try.
    }
    this.render(links);
  }

  render(links: readonly LinkStatus[]): void {
    this.element.hidden = links.length === 0;
    clear(this.list);
    for (const link of links) {
      const detail =
        link.state === 'up'
          ? `${link.cameras} cameras, heard ${relativeTime(link.lastHeardAt, this.now())}`
          : link.state === 'down'
            ? `since ${clockTime(link.since)}: its ${link.cameras} cameras show as unknown here`
            : `its ${link.cameras} cameras show as unknown until it is`;
      // Refused messages or cameras (over its limits, malformed, another hub's): the log says which.
      const refused = link.refused > 0 ? `; ${link.refused} refused, see the hub's log` : '';
      this.list.append(
        el(
          'li',
          { class: 'link-item', 'data-hub': link.hub, 'data-state': link.state },
          el('span', { class: 'link-hub' }, link.hub),
          el(
            'span',
            {
              class: 'badge link-state',
              'data-state': link.state === 'up' ? 'up' : link.state === 'down' ? 'down' : 'unknown',
            },
            STATE_WORDS[link.state],
          ),
          el('span', { class: 'link-detail muted' }, `${detail}${refused}`),
        ),
      );
    }
  }
}
