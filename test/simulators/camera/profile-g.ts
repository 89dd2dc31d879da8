// Profile G recording search answers for the simulator: a camera (one recording) or an NVR (one recording
// per channel), each with a configurable retention that moves with the simulator's clock.
import { soapEnvelope, xmlEscape } from './soap.ts';

export const NS_SEARCH = 'http://www.onvif.org/ver10/search/wsdl';

export interface SimRecording {
  token: string;
  sourceName: string;
  retentionDays: number;
}

const DAY_MS = 86_400_000;

function wrap(body: string): string {
  return soapEnvelope(body).replace('<s:Envelope ', `<s:Envelope xmlns:tse="${NS_SEARCH}" `);
}

function recordingInformation(rec: SimRecording, nowMs: number): string {
  const from = new Date(nowMs - rec.retentionDays * DAY_MS).toISOString();
  const to = new Date(nowMs).toISOString();
  return (
    `<tt:RecordingInformation><tt:RecordingToken>${xmlEscape(rec.token)}</tt:RecordingToken>` +
    `<tt:Source><tt:SourceId>${xmlEscape(rec.token)}</tt:SourceId><tt:Name>${xmlEscape(rec.sourceName)}</tt:Name><tt:Location/><tt:Description/><tt:Address/></tt:Source>` +
    `<tt:EarliestRecording>${from}</tt:EarliestRecording><tt:LatestRecording>${to}</tt:LatestRecording><tt:Content/>` +
    `<tt:Track><tt:TrackToken>VIDEO001</tt:TrackToken><tt:TrackType>Video</tt:TrackType><tt:Description/><tt:DataFrom>${from}</tt:DataFrom><tt:DataTo>${to}</tt:DataTo></tt:Track>` +
    '<tt:RecordingStatus>Recording</tt:RecordingStatus></tt:RecordingInformation>'
  );
}

export function findRecordingsResponse(searchToken: string): string {
  return wrap(
    `<tse:FindRecordingsResponse><tse:SearchToken>${xmlEscape(searchToken)}</tse:SearchToken></tse:FindRecordingsResponse>`,
  );
}

export function recordingSearchResultsResponse(recordings: SimRecording[], nowMs: number): string {
  return wrap(
    '<tse:GetRecordingSearchResultsResponse><tse:ResultList><tt:SearchState>Completed</tt:SearchState>' +
      recordings.map((r) => recordingInformation(r, nowMs)).join('') +
      '</tse:ResultList></tse:GetRecordingSearchResultsResponse>',
  );
}

export function endSearchResponse(nowMs: number): string {
  return wrap(
    `<tse:EndSearchResponse><tse:Endpoint>${new Date(nowMs).toISOString()}</tse:Endpoint></tse:EndSearchResponse>`,
  );
}
