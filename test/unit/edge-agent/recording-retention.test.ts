import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecordings } from '../../../edge-agent/src/onvif/recording-retention.ts';
import { daysRetained } from '../../../edge-agent/src/onvif/recording-search.ts';
import {
  endSearchResponse,
  findRecordingsResponse,
  recordingSearchResultsResponse,
  type SimRecording,
} from '../../simulators/camera/profile-g.ts';
import { parseSoapRequest, SOAP_CONTENT_TYPE } from '../../simulators/camera/soap.ts';

const nowMs = Date.parse('2026-12-04T20:00:00Z');
const channels: SimRecording[] = [
  { token: 'REC-CH01', sourceName: 'channel 1', retentionDays: 31 },
  { token: 'REC-CH02', sourceName: 'channel 2', retentionDays: 14 },
];

let server: Server;
let url: string;
const methods: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const { method } = parseSoapRequest(body);
      methods.push(method);
      const answer =
        method === 'FindRecordings'
          ? findRecordingsResponse('S-1')
          : method === 'GetRecordingSearchResults'
            ? recordingSearchResultsResponse(channels, nowMs)
            : endSearchResponse(nowMs);
      res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/onvif/search_service`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('readRecordings over HTTP (NVR with two channels)', () => {
  it('searches, reads every channel and ends the search', async () => {
    const recordings = await readRecordings({
      searchUrl: url,
      timeoutMs: 5000,
      now: () => nowMs,
      context: { cameraId: 'nvr-1' },
      maxRecordings: 64,
      maxPages: 4,
    });
    expect(methods).toEqual(['FindRecordings', 'GetRecordingSearchResults', 'EndSearch']);
    expect(recordings.map((r) => [r.recordingToken, daysRetained(r, nowMs)])).toEqual([
      ['REC-CH01', 31],
      ['REC-CH02', 14],
    ]);
  });
});
