import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentError } from '../../../edge-agent/src/errors.ts';
import type { RecorderEvent } from '../../../edge-agent/src/onvif/pull-point.ts';
import { PullPointSubscription } from '../../../edge-agent/src/onvif/pull-point-client.ts';
import {
  createPullPointSubscriptionResponse,
  pullMessagesResponse,
  renewResponse,
  type SimEvent,
  unsubscribeResponse,
} from '../../simulators/camera/pull-point-events.ts';
import { parseSoapRequest, SOAP_CONTENT_TYPE } from '../../simulators/camera/soap.ts';

const nowMs = Date.parse('2026-12-04T20:00:00Z');
let server: Server;
let base: string;
const calls: string[] = [];
const queue: SimEvent[] = [];
let failNextPull = false;
let subscriptions = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const { method } = parseSoapRequest(body);
      calls.push(method);
      let answer: string;
      if (method === 'CreatePullPointSubscription') {
        subscriptions++;
        answer = createPullPointSubscriptionResponse(
          `${base}/pullpoint/${subscriptions}`,
          nowMs,
          nowMs + 60_000,
        );
      } else if (method === 'PullMessages') {
        if (failNextPull) {
          failNextPull = false;
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('subscription gone');
          return;
        }
        answer = pullMessagesResponse(queue.splice(0), nowMs, nowMs + 60_000);
      } else if (method === 'Renew') {
        answer = renewResponse(nowMs, nowMs + 60_000);
      } else {
        answer = unsubscribeResponse();
      }
      res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('PullPointSubscription', () => {
  it('delivers a storage failure, re-subscribes after a failed pull, and unsubscribes on stop', async () => {
    const received: RecorderEvent[] = [];
    const errors: AgentError[] = [];
    const got = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (received.length >= n ? resolve() : setTimeout(check, 5));
        check();
      });
    const sub = new PullPointSubscription({
      eventsUrl: `${base}/onvif/events`,
      timeoutMs: 2000,
      pullWaitSeconds: 0,
      messageLimit: 10,
      terminationSeconds: 60,
      retryDelayMs: 0,
      idleDelayMs: 0,
      now: () => nowMs,
      // Each empty pull yields to the test instead of spinning.
      sleep: () => new Promise<void>((resolve) => setImmediate(resolve)),
      context: { cameraId: 'nvr-1' },
      onEvents: (events) => {
        received.push(...events);
      },
      onError: (error) => errors.push(error),
    });
    queue.push({ kind: 'storage_failure', active: true, sourceToken: 'HDD1', atMs: nowMs - 1000 });
    sub.start();
    await got(1);
    expect(received[0]).toMatchObject({ kind: 'storage_failure', active: true, source: { Token: 'HDD1' } });

    failNextPull = true;
    await new Promise<void>((resolve) => {
      const check = () => (subscriptions >= 2 ? resolve() : setTimeout(check, 5));
      check();
    });
    queue.push({ kind: 'tamper', active: true, sourceToken: 'VS_1', atMs: nowMs });
    await got(2);
    expect(received[1]).toMatchObject({ kind: 'tamper', active: true });
    expect(errors.map((e) => e.code)).toEqual(['onvif_error']);
    await sub.stop();
    expect(calls.at(-1)).toBe('Unsubscribe');
    expect(calls.filter((c) => c === 'CreatePullPointSubscription')).toHaveLength(2);
  });
});
