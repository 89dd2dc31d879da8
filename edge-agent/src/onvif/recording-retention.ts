// Reads retention from a camera's or recorder's ONVIF Recording Search service (Profile G): every recording
// through FindRecordings / GetRecordingSearchResults, paged and bounded, and the search is always ended so
// the device can free it. One recorder answer serves every camera mapped to one of its channels.
import { AgentError, type ErrorContext } from '../errors.ts';
import {
  endSearchBody,
  findRecordingsBody,
  getRecordingSearchResultsBody,
  parseFindRecordings,
  parseRecordingSearchResults,
  type RecordingRetention,
  SEARCH_NAMESPACES,
} from './recording-search.ts';
import { postSoap, type SoapCredentials } from './soap-client.ts';

export interface RetentionReadOptions {
  /** The device's search service address (GetServices namespace http://www.onvif.org/ver10/search/wsdl). */
  searchUrl: string;
  credentials?: SoapCredentials;
  timeoutMs: number;
  now: () => number;
  context: ErrorContext;
  /** A recorder with hundreds of channels must not make one poll unbounded. */
  maxRecordings: number;
  maxPages: number;
}

export async function readRecordings(options: RetentionReadOptions): Promise<RecordingRetention[]> {
  const call = async (body: string, operation: string) =>
    (
      await postSoap({
        url: options.searchUrl,
        body,
        namespaces: SEARCH_NAMESPACES,
        credentials: options.credentials,
        timeoutMs: options.timeoutMs,
        now: options.now,
        context: { ...options.context, operation },
      })
    ).xml;
  const keepAliveSeconds = Math.max(10, Math.ceil((options.timeoutMs * 3) / 1000));
  const token = parseFindRecordings(
    await call(findRecordingsBody(options.maxRecordings, keepAliveSeconds), 'FindRecordings'),
  );
  if (token === undefined) {
    throw new AgentError('onvif_error', 'FindRecordings answer has no SearchToken', {
      ...options.context,
      operation: 'FindRecordings',
    });
  }
  const recordings: RecordingRetention[] = [];
  try {
    for (let page = 0; page < options.maxPages && recordings.length < options.maxRecordings; page++) {
      const result = parseRecordingSearchResults(
        await call(
          getRecordingSearchResultsBody(token, options.maxRecordings - recordings.length, 1),
          'GetRecordingSearchResults',
        ),
      );
      recordings.push(...result.recordings);
      if (result.searchState === 'Completed') break;
    }
  } finally {
    // Best effort: a device that already dropped the search answers with a fault we have no use for.
    await call(endSearchBody(token), 'EndSearch').catch(() => undefined);
  }
  return recordings.slice(0, options.maxRecordings);
}
