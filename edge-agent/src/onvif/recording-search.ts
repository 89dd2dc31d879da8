// ONVIF Profile G recording search (Recording Search Service Specification, tse:): request bodies and
// readers for the answers the agent turns into retention evidence. A recorder (NVR) holds many recordings,
// one per channel; a camera with an SD card usually holds one. Days retained come from the oldest data
// still on the device, per recording and per track, because police evidential use needs 31 days of the
// video track, not of metadata.
import { elementInner, elementText } from './xml.ts';

export const SEARCH_NAMESPACES = {
  tse: 'http://www.onvif.org/ver10/search/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
};

const DAY_MS = 86_400_000;

export interface RecordingSummary {
  dataFromMs: number | undefined;
  dataUntilMs: number | undefined;
  numberRecordings: number | undefined;
}

export interface TrackRetention {
  trackToken: string;
  trackType: string;
  dataFromMs: number | undefined;
  dataToMs: number | undefined;
}

export interface RecordingRetention {
  recordingToken: string;
  sourceId: string;
  sourceName: string;
  earliestRecordingMs: number | undefined;
  latestRecordingMs: number | undefined;
  status: string;
  tracks: TrackRetention[];
}

export interface RecordingSearchPage {
  searchState: string;
  recordings: RecordingRetention[];
}

const NAME = '(?:[A-Za-z_][\\w.-]*:)?';

/** Inner XML of every element with this local name, in document order (not nested in one another). */
export function elementsInner(xml: string, localName: string): string[] {
  const name = localName.replace(/[^\w-]/g, '');
  const re = new RegExp(`<(${NAME}${name})(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</\\1\\s*>)`, 'g');
  const out: string[] = [];
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(m[2] ?? '');
  return out;
}

function parseTimeMs(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  // xs:dateTime without a zone is local to the device and unusable as evidence; ONVIF requires UTC.
  if (!/(Z|[+-]\d\d:\d\d)$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export function getRecordingSummaryBody(): string {
  return '<tse:GetRecordingSummary/>';
}

export function getRecordingInformationBody(recordingToken: string): string {
  return `<tse:GetRecordingInformation><tse:RecordingToken>${escapeText(recordingToken)}</tse:RecordingToken></tse:GetRecordingInformation>`;
}

/** FindRecordings over every recording (empty scope), bounded by the device's own keep-alive. */
export function findRecordingsBody(maxMatches: number, keepAliveSeconds: number): string {
  return (
    '<tse:FindRecordings><tse:Scope/>' +
    `<tse:MaxMatches>${Math.max(1, Math.floor(maxMatches))}</tse:MaxMatches>` +
    `<tse:KeepAliveTime>PT${Math.max(1, Math.floor(keepAliveSeconds))}S</tse:KeepAliveTime></tse:FindRecordings>`
  );
}

export function getRecordingSearchResultsBody(
  searchToken: string,
  maxResults: number,
  waitSeconds: number,
): string {
  return (
    `<tse:GetRecordingSearchResults><tse:SearchToken>${escapeText(searchToken)}</tse:SearchToken>` +
    `<tse:MaxResults>${Math.max(1, Math.floor(maxResults))}</tse:MaxResults>` +
    `<tse:WaitTime>PT${Math.max(0, Math.floor(waitSeconds))}S</tse:WaitTime></tse:GetRecordingSearchResults>`
  );
}

export function endSearchBody(searchToken: string): string {
  return `<tse:EndSearch><tse:SearchToken>${escapeText(searchToken)}</tse:SearchToken></tse:EndSearch>`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function parseRecordingSummary(xml: string): RecordingSummary {
  const summary = elementInner(xml, 'Summary') ?? '';
  const count = elementText(summary, 'NumberRecordings');
  const n = count === undefined ? Number.NaN : Number(count);
  return {
    dataFromMs: parseTimeMs(elementText(summary, 'DataFrom')),
    dataUntilMs: parseTimeMs(elementText(summary, 'DataUntil')),
    numberRecordings: Number.isInteger(n) && n >= 0 ? n : undefined,
  };
}

function parseRecordingInformation(inner: string): RecordingRetention {
  const source = elementInner(inner, 'Source') ?? '';
  const tracks = elementsInner(inner, 'Track').map((track) => ({
    trackToken: elementText(track, 'TrackToken') ?? '',
    trackType: elementText(track, 'TrackType') ?? '',
    dataFromMs: parseTimeMs(elementText(track, 'DataFrom')),
    dataToMs: parseTimeMs(elementText(track, 'DataTo')),
  }));
  return {
    recordingToken: elementText(inner, 'RecordingToken') ?? '',
    sourceId: elementText(source, 'SourceId') ?? '',
    sourceName: elementText(source, 'Name') ?? '',
    earliestRecordingMs: parseTimeMs(elementText(inner, 'EarliestRecording')),
    latestRecordingMs: parseTimeMs(elementText(inner, 'LatestRecording')),
    status: elementText(inner, 'RecordingStatus') ?? '',
    tracks,
  };
}

/** GetRecordingInformationResponse: one recording. */
export function parseGetRecordingInformation(xml: string): RecordingRetention | undefined {
  const inner = elementInner(xml, 'RecordingInformation');
  return inner === undefined ? undefined : parseRecordingInformation(inner);
}

export function parseFindRecordings(xml: string): string | undefined {
  const token = elementText(xml, 'SearchToken');
  return token === undefined || token === '' ? undefined : token;
}

/** GetRecordingSearchResultsResponse: a page; the search is over when SearchState is `Completed`. */
export function parseRecordingSearchResults(xml: string): RecordingSearchPage {
  const list = elementInner(xml, 'ResultList') ?? '';
  return {
    searchState: elementText(list, 'SearchState') ?? '',
    recordings: elementsInner(list, 'RecordingInformation').map(parseRecordingInformation),
  };
}

/**
 * Oldest video still held for a recording: the video tracks' DataFrom when the device lists tracks (the
 * evidential need is video), else the recording's EarliestRecording.
 */
export function earliestVideoMs(recording: RecordingRetention): number | undefined {
  const video = recording.tracks.filter((t) => t.trackType.toLowerCase() === 'video');
  const froms = video.map((t) => t.dataFromMs).filter((v): v is number => v !== undefined);
  if (froms.length > 0) return Math.min(...froms);
  return recording.earliestRecordingMs;
}

/** Whole days of video retained at `nowMs` (floored: 30.9 days is not 31), or undefined without data. */
export function daysRetained(recording: RecordingRetention, nowMs: number): number | undefined {
  const from = earliestVideoMs(recording);
  if (from === undefined) return undefined;
  return Math.max(0, Math.floor((nowMs - from) / DAY_MS));
}
