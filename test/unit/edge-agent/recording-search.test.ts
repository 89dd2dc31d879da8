import { describe, expect, it } from 'vitest';
import {
  daysRetained,
  earliestVideoMs,
  findRecordingsBody,
  getRecordingInformationBody,
  parseFindRecordings,
  parseGetRecordingInformation,
  parseRecordingSearchResults,
  parseRecordingSummary,
} from '../../../edge-agent/src/onvif/recording-search.ts';

const env = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tse="http://www.onvif.org/ver10/search/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

const recordingInfo = (token: string, earliest: string, videoFrom: string) => `
<tt:RecordingInformation>
  <tt:RecordingToken>${token}</tt:RecordingToken>
  <tt:Source><tt:SourceId>http://10.0.0.21/onvif/device_service</tt:SourceId><tt:Name>Fore Street &amp; Quay</tt:Name>
    <tt:Location>Bude</tt:Location><tt:Description></tt:Description><tt:Address>http://10.0.0.21/onvif/device_service</tt:Address></tt:Source>
  <tt:EarliestRecording>${earliest}</tt:EarliestRecording>
  <tt:LatestRecording>2026-12-04T20:00:00Z</tt:LatestRecording>
  <tt:Content>CH01</tt:Content>
  <tt:Track><tt:TrackToken>VIDEO001</tt:TrackToken><tt:TrackType>Video</tt:TrackType><tt:Description>main</tt:Description>
    <tt:DataFrom>${videoFrom}</tt:DataFrom><tt:DataTo>2026-12-04T20:00:00Z</tt:DataTo></tt:Track>
  <tt:Track><tt:TrackToken>META001</tt:TrackToken><tt:TrackType>Metadata</tt:TrackType><tt:Description/>
    <tt:DataFrom>2026-10-01T00:00:00Z</tt:DataFrom><tt:DataTo>2026-12-04T20:00:00Z</tt:DataTo></tt:Track>
  <tt:RecordingStatus>Recording</tt:RecordingStatus>
</tt:RecordingInformation>`;

const now = Date.parse('2026-12-04T20:00:00Z');

describe('recording search request bodies', () => {
  it('escapes tokens and bounds numbers', () => {
    expect(getRecordingInformationBody('a<b&c')).toContain(
      '<tse:RecordingToken>a&lt;b&amp;c</tse:RecordingToken>',
    );
    expect(findRecordingsBody(0, 0.5)).toBe(
      '<tse:FindRecordings><tse:Scope/><tse:MaxMatches>1</tse:MaxMatches><tse:KeepAliveTime>PT1S</tse:KeepAliveTime></tse:FindRecordings>',
    );
  });
});

describe('parseRecordingSummary', () => {
  it('reads DataFrom, DataUntil and the count', () => {
    const xml = env(
      '<tse:GetRecordingSummaryResponse><tse:Summary><tt:DataFrom>2026-11-01T00:00:00Z</tt:DataFrom><tt:DataUntil>2026-12-04T19:59:59Z</tt:DataUntil><tt:NumberRecordings>16</tt:NumberRecordings></tse:Summary></tse:GetRecordingSummaryResponse>',
    );
    expect(parseRecordingSummary(xml)).toEqual({
      dataFromMs: Date.parse('2026-11-01T00:00:00Z'),
      dataUntilMs: Date.parse('2026-12-04T19:59:59Z'),
      numberRecordings: 16,
    });
  });
  it.each([
    [
      'time without zone',
      '<tt:DataFrom>2026-11-01T00:00:00</tt:DataFrom><tt:NumberRecordings>x</tt:NumberRecordings>',
    ],
    ['empty summary', ''],
  ])('gives undefined for %s', (_name, inner) => {
    const r = parseRecordingSummary(
      env(
        `<tse:GetRecordingSummaryResponse><tse:Summary>${inner}</tse:Summary></tse:GetRecordingSummaryResponse>`,
      ),
    );
    expect(r.dataFromMs).toBeUndefined();
    expect(r.numberRecordings).toBeUndefined();
  });
});

describe('parseGetRecordingInformation', () => {
  it('reads the recording, its source and every track', () => {
    const r = parseGetRecordingInformation(
      env(
        `<tse:GetRecordingInformationResponse>${recordingInfo('REC-CH01', '2026-10-01T00:00:00Z', '2026-11-02T06:00:00Z')}</tse:GetRecordingInformationResponse>`,
      ),
    );
    expect(r?.recordingToken).toBe('REC-CH01');
    expect(r?.sourceName).toBe('Fore Street & Quay');
    expect(r?.sourceId).toBe('http://10.0.0.21/onvif/device_service');
    expect(r?.status).toBe('Recording');
    expect(r?.tracks.map((t) => [t.trackToken, t.trackType])).toEqual([
      ['VIDEO001', 'Video'],
      ['META001', 'Metadata'],
    ]);
    // The video track's DataFrom counts, not the older metadata track nor EarliestRecording.
    expect(r && earliestVideoMs(r)).toBe(Date.parse('2026-11-02T06:00:00Z'));
    expect(r && daysRetained(r, now)).toBe(32);
  });
  it('is undefined without RecordingInformation', () => {
    expect(parseGetRecordingInformation(env('<tse:GetRecordingInformationResponse/>'))).toBeUndefined();
  });
});

describe('recording search over an NVR', () => {
  it('reads the search token and a page of recordings, one per channel', () => {
    expect(
      parseFindRecordings(
        env(
          '<tse:FindRecordingsResponse><tse:SearchToken>S-1</tse:SearchToken></tse:FindRecordingsResponse>',
        ),
      ),
    ).toBe('S-1');
    expect(parseFindRecordings(env('<tse:FindRecordingsResponse/>'))).toBeUndefined();
    const page = parseRecordingSearchResults(
      env(
        `<tse:GetRecordingSearchResultsResponse><tse:ResultList><tt:SearchState>Completed</tt:SearchState>${recordingInfo('REC-CH01', '2026-11-01T00:00:00Z', '2026-11-03T20:00:01Z')}${recordingInfo('REC-CH02', '2026-10-20T00:00:00Z', '2026-10-20T00:00:00Z')}</tse:ResultList></tse:GetRecordingSearchResultsResponse>`,
      ),
    );
    expect(page.searchState).toBe('Completed');
    expect(page.recordings.map((r) => r.recordingToken)).toEqual(['REC-CH01', 'REC-CH02']);
    // 30 days 23:59:59 is 30 whole days: short of 31.
    expect(page.recordings.map((r) => daysRetained(r, now))).toEqual([30, 45]);
  });
  it('falls back to EarliestRecording when no video track is listed', () => {
    const r = parseGetRecordingInformation(
      env(
        '<tt:RecordingInformation><tt:RecordingToken>R</tt:RecordingToken><tt:EarliestRecording>2026-11-01T20:00:00+00:00</tt:EarliestRecording></tt:RecordingInformation>',
      ),
    );
    expect(r && daysRetained(r, now)).toBe(33);
    expect(r && daysRetained({ ...r, earliestRecordingMs: undefined }, now)).toBeUndefined();
  });
});
