import type { SourceView } from '../../src/schemas/sources.ts';

// Mobile sources in words, for markers, lists and results (no map library here).

/** How a source's link state reads, for its marker's name and the results. */
export const SOURCE_STATE_WORD: Record<SourceView['state'], string> = {
  up: 'live',
  unknown: 'telemetry late',
  offline: 'offline',
};

export const SOURCE_KIND_WORD: Record<SourceView['kind'], string> = {
  drone: 'drone',
  bodyworn: 'body-worn camera',
};

/** One line describing a source for people: name, kind, unit (and the hub sharing it), link and height. */
export function describeSource(source: SourceView): string {
  const height = source.altitudeM === null ? '' : `, ${Math.round(source.altitudeM)} m up`;
  const shared = source.hubId ? ` (shared by hub ${source.hubId})` : '';
  return `${source.name}, ${SOURCE_KIND_WORD[source.kind]} of ${source.unit}${shared}: ${SOURCE_STATE_WORD[source.state]}${height}${describeStream(source.stream)}`;
}

/** The newest check of a source's stream, in words (empty before the first). */
export function describeStream(check: SourceView['stream']): string {
  if (!check) return '';
  if (!check.ok) return '; no video at the last stream check';
  const size = check.width && check.height ? ` ${check.width}×${check.height}` : '';
  const fps = check.fps === null ? '' : ` ${Math.round(check.fps)} fps`;
  return `; video ${check.codec ?? ''}${size}${fps}`.replace(/\s+/g, ' ');
}
