import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { complianceCsv, uptimeCsv } from '../../../hub-server/src/reports/csv.ts';
import { councilEvidencePdf } from '../../../hub-server/src/reports/pdf.ts';
import {
  type RenderPoolOptions,
  ReportRenderPool,
  ReportsUnavailableError,
} from '../../../hub-server/src/reports/render-pool.ts';
import { ReportDataError } from '../../../hub-server/src/reports/report-data.ts';
import { councilReport, NORTH } from '../../fixtures/reports/council-fixture.ts';

const north = councilReport(NORTH);
const pools: ReportRenderPool[] = [];

function pool(options: Partial<RenderPoolOptions> = {}): ReportRenderPool {
  const p = new ReportRenderPool({
    workers: 1,
    queueLength: 2,
    buildTimeoutMs: 60_000,
    workerHeapMb: 256,
    log: pino({ level: 'silent' }),
    ...options,
  });
  p.start();
  pools.push(p);
  return p;
}

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReportsUnavailableError);
  return error as ReportsUnavailableError;
};

afterEach(async () => {
  for (const p of pools.splice(0)) await p.stop();
});

describe('ReportRenderPool', () => {
  it('builds the same bytes on a worker thread as the builders do in process', async () => {
    const p = pool();
    const [pdf, uptime, compliance] = await p.admit((render) =>
      Promise.all([
        render('evidence.pdf', north),
        render('uptime.csv', north),
        render('compliance.csv', north),
      ]),
    );
    expect(pdf.equals(await councilEvidencePdf(north))).toBe(true);
    expect(uptime.equals(uptimeCsv(north))).toBe(true);
    expect(compliance.equals(complianceCsv(north))).toBe(true);
  }, 60_000);

  it('keeps the event loop turning while a PDF is drawn', async () => {
    const p = pool();
    // Warm the worker up (it loads the builders on first use) so the loop is measured during a build.
    await p.admit((render) => render('uptime.csv', north));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await p.admit((render) => render('evidence.pdf', north));
    clearInterval(timer);
    // Drawn in process, the build holds the loop throughout and no tick runs until it ends.
    expect(ticks).toBeGreaterThan(3);
  }, 60_000);

  it('refuses a report beyond the workers and the queue, before it reads any data', async () => {
    const p = pool({ workers: 1, queueLength: 2 });
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const inHand = [1, 2, 3].map(() => p.admit(() => held));
    let gathered = false;
    const error = await refusal(
      p.admit(async () => {
        gathered = true;
      }),
    );
    expect(error.code).toBe('REPORTS_BUSY');
    expect(error.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(gathered).toBe(false);
    release();
    await Promise.all(inHand);
    // Room again once those are done.
    await expect(p.admit(async () => 'ok')).resolves.toBe('ok');
  });

  it('returns a builder refusal with its class and code', async () => {
    const p = pool();
    const foreign = {
      ...north,
      cameras: [{ ...(north.cameras[0] as (typeof north.cameras)[0]), councilId: 'x' }],
    };
    const error = await p.admit((render) => render('uptime.csv', foreign)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReportDataError);
    expect((error as ReportDataError).code).toBe('REPORT_FOREIGN_CAMERA');
  }, 60_000);

  it('stops a build that runs too long and ends its worker', async () => {
    const p = pool({ buildTimeoutMs: 50 });
    const error = await refusal(p.admit((render) => render('evidence.pdf', north)));
    expect(error.code).toBe('REPORT_TIMEOUT');
    expect(p.stats).toEqual({ workers: 0, busy: 0, waiting: 0, admitted: 0 });
  }, 60_000);

  it('refuses work once stopped and fails what was waiting', async () => {
    const p = pool({ workers: 1, queueLength: 4 });
    const first = refusal(p.admit((render) => render('evidence.pdf', north)));
    const second = refusal(p.admit((render) => render('evidence.pdf', north)));
    await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    expect((await first).code).toBe('REPORTS_STOPPED');
    expect((await second).code).toBe('REPORTS_STOPPED');
    expect((await refusal(p.admit(async () => 1))).code).toBe('REPORTS_STOPPED');
  }, 60_000);
});
