import pg from 'pg';
import { FleetRepository } from '../../hub-server/src/repositories/fleet-repository.ts';
import { health, inventory, SitePublisher } from '../support/site-publisher.ts';
import { BENCH_USERS, fleetStack, processUsage, type StackMode } from './stack.ts';

/*
 * Evidence packs under load: one council of `cameras` cameras with an hourly clock reading each for
 * the month so far; `parallel` evidence packs are asked for at once while /healthz is polled every
 * `healthzIntervalMs`. The hub is its own process started as npm start does (node --import tsx), so
 * this also shows the render workers load there. Target: /healthz p99 < 100 ms, every pack correct.
 */

export interface ReportLoadOptions {
  mode: StackMode;
  baseUrl: string;
  cameras: number;
  parallel: number;
  rounds: number;
  healthzIntervalMs: number;
  hubEnv?: Record<string, string>;
}

export interface ReportLoadResult {
  mode: StackMode;
  cameras: number;
  parallel: number;
  rounds: number;
  packs: { ok: number; failed: number; bytesMedian: number; wallS: number };
  healthz: { answers: number; failures: number; p50Ms: number; p99Ms: number; maxMs: number };
  hubCpuCores: number;
  hubRssPeakMb: number;
  targetP99Ms: number;
  targetMet: boolean;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

export async function runReportLoadBench(
  options: ReportLoadOptions,
  log: (line: string) => void,
): Promise<ReportLoadResult> {
  const { stack, prefix } = fleetStack('rl', {
    mode: options.mode,
    baseUrl: options.baseUrl,
    sites: 1,
    hubEnv: options.hubEnv,
  });
  const siteId = `${prefix}-s0`;
  const councilId = `${prefix}-council`;
  const cams = Array.from({ length: options.cameras }, (_, i) => `${prefix}-c${i}`);
  let site: SitePublisher | null = null;
  try {
    await stack.startServices();
    await stack.startHub();
    const operator = await stack.login(BENCH_USERS.operator);
    const pool = new pg.Pool({ connectionString: stack.dbUrl, max: 1 });
    try {
      const fleet = new FleetRepository(pool);
      await fleet.upsertHub({
        id: `${prefix}-hub`,
        name: 'Bench hub',
        operator: 'bench',
        lat: 50.1,
        lon: -5.5,
      });
      await fleet.upsertCouncil({ id: councilId, name: 'Bench council', hubId: `${prefix}-hub` });
      const registered = await fetch(`${stack.hubUrl}/api/registry/sites`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: siteId,
          name: 'Bench site',
          councilId,
          hubId: `${prefix}-hub`,
          cameraNetworks: ['127.0.0.1/32'],
          expectedCameras: cams,
        }),
      });
      if (registered.status !== 201)
        throw new Error(`registering the bench site: ${registered.status} ${await registered.text()}`);
      const password = stack.passwords[siteId];
      site = new SitePublisher(siteId, stack.mqttUrl, password ? { username: siteId, password } : null);
      await site.connect(false);
      await site.publish('inventory', { ...inventory(councilId, cams), hubId: `${prefix}-hub` });
      await site.publish('siteState', { state: 'online' });
      for (const cam of cams) await site.publish('health', health(cam, 'up'), cam);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const r = await pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM cameras WHERE id = ANY($1)',
          [cams],
        );
        if (r.rows[0]?.n === cams.length) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      if (Date.now() >= deadline) throw new Error('the bench cameras did not reach the hub within 60 s');
      await pool.query(
        `INSERT INTO health_samples (msg_id, camera_id, observed_at, state, clock_offset_ms, payload)
         SELECT c || '-' || extract(epoch FROM t), c, t, 'up', (random() * 2000 - 1000), '{}'::jsonb
         FROM unnest($1::text[]) AS c,
              generate_series(date_trunc('month', now()), now() - interval '1 minute', interval '1 hour') AS t`,
        [cams],
      );
    } finally {
      await pool.end();
    }

    const pack = async () => {
      const r = await fetch(`${stack.hubUrl}/api/reports/councils/${councilId}/evidence.pdf`, {
        headers: { authorization: `Bearer ${operator}` },
      });
      const body = Buffer.from(await r.arrayBuffer());
      const text = body.toString('latin1');
      return r.status === 200 && text.startsWith('%PDF-') && text.trimEnd().endsWith('%%EOF')
        ? body.length
        : -1;
    };
    // The workers start on first use: one pack first, so the run measures a hub that has them.
    if ((await pack()) < 0) throw new Error('the first evidence pack failed');

    const hubPid = stack.hub?.pid as number;
    const latencies: number[] = [];
    let failures = 0;
    const sizes: number[] = [];
    let peak = processUsage(hubPid).rssMb;
    const u0 = processUsage(hubPid);
    const t0 = performance.now();
    for (let round = 0; round < options.rounds; round++) {
      let done = false;
      const poll = (async () => {
        while (!done) {
          const started = performance.now();
          const ok = await fetch(`${stack.hubUrl}/healthz`).then(
            async (r) => {
              await r.arrayBuffer();
              return r.status === 200;
            },
            () => false,
          );
          latencies.push(performance.now() - started);
          if (!ok) failures++;
          peak = Math.max(peak, processUsage(hubPid).rssMb);
          await new Promise((r) => setTimeout(r, options.healthzIntervalMs));
        }
      })();
      sizes.push(...(await Promise.all(Array.from({ length: options.parallel }, pack))));
      done = true;
      await poll;
      log(`  round ${round + 1}: ${options.parallel} packs, ${latencies.length} health checks so far`);
    }
    const wallS = (performance.now() - t0) / 1000;
    const u1 = processUsage(hubPid);
    const sorted = [...latencies].sort((a, b) => a - b);
    const okSizes = sizes.filter((s) => s > 0).sort((a, b) => a - b);
    const p99Ms = Math.round(quantile(sorted, 0.99));
    const targetP99Ms = 100;
    const failed = sizes.length - okSizes.length;
    return {
      mode: options.mode,
      cameras: options.cameras,
      parallel: options.parallel,
      rounds: options.rounds,
      packs: {
        ok: okSizes.length,
        failed,
        bytesMedian: quantile(okSizes, 0.5),
        wallS: Math.round(wallS * 10) / 10,
      },
      healthz: {
        answers: latencies.length,
        failures,
        p50Ms: Math.round(quantile(sorted, 0.5)),
        p99Ms,
        maxMs: Math.round(sorted.at(-1) ?? 0),
      },
      hubCpuCores: (u1.cpuS - u0.cpuS) / wallS,
      hubRssPeakMb: Math.round(peak),
      targetP99Ms,
      targetMet: p99Ms < targetP99Ms && failed === 0 && failures === 0,
    };
  } finally {
    await site?.close().catch(() => {});
    await stack.stop();
  }
}
