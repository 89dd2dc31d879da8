// npm run bench [-- --scenario uptime --cameras 5000 --days 90 --runs 15]
// Benchmarks are measured here, never in tests. Each scenario prints a table and writes JSON to
// bench-results/, with figures relative to a baseline measured in the same run.

import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runUptimeBench } from './uptime-bench.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const scenario = arg('scenario', 'uptime');
  const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
  mkdirSync('bench-results', { recursive: true });
  if (scenario === 'uptime') {
    const options = {
      baseUrl,
      cameras: Number(arg('cameras', '5000')),
      days: Number(arg('days', '90')),
      runs: Number(arg('runs', '15')),
      keep: process.argv.includes('--keep'),
    };
    process.stdout.write(
      `uptime benchmark on PostgreSQL: ${options.cameras} cameras x ${options.days} days (building data...)\n`,
    );
    const result = await runUptimeBench(options);
    const baseline = result.timings[0]?.medianMs ?? 1;
    process.stdout.write(
      `data: ${JSON.stringify(result.rows)} built in ${(result.setupMs / 1000).toFixed(1)} s\n\n`,
    );
    process.stdout.write(`| query | median ms | p95 ms | x baseline | runs |\n|---|---|---|---|---|\n`);
    for (const t of result.timings) {
      process.stdout.write(
        `| ${t.name} | ${t.medianMs.toFixed(2)} | ${t.p95Ms.toFixed(2)} | ${(t.medianMs / baseline).toFixed(2)} | ${t.runs} |\n`,
      );
    }
    writeFileSync(
      'bench-results/uptime.json',
      JSON.stringify(
        {
          date: new Date().toISOString(),
          commit,
          machine,
          options: { ...options, baseUrl: undefined },
          ...result,
        },
        null,
        2,
      ),
    );
  } else {
    throw new Error(`unknown scenario ${scenario} (known: uptime)`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
