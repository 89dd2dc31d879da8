// The README's performance table is the median of several full `npm run bench` runs of one commit.
// Each run leaves its JSON in bench-results/; copy each run's folder aside, then:
//   npx tsx test/bench/medians.ts run1/ run2/ run3/
// prints, for every target row, the median over the runs and the runs' range, and refuses runs of
// different commits or a run that lacks a scenario the others have.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, unknown>;

const dirs = process.argv.slice(2);
if (dirs.length < 2) {
  process.stderr.write('usage: tsx test/bench/medians.ts <bench-results dir> <bench-results dir> [...]\n');
  process.exit(2);
}

function load(dir: string, file: string): Json | null {
  const path = join(dir, file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Json) : null;
}

const commits = new Set(dirs.map((d) => String(load(d, 'summary.json')?.commit ?? 'no summary.json')));
if (commits.size !== 1) {
  process.stderr.write(`the runs are of different commits (or unfinished): ${[...commits].join(', ')}\n`);
  process.exit(1);
}

/** A number from each run's file, by a path into it; null where a run lacks it. */
function each(file: string, pick: (j: Json) => unknown): (number | null)[] {
  return dirs.map((d) => {
    const j = load(d, file);
    if (!j) return null;
    const v = pick(j);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const fmt = (n: number, digits: number) => n.toLocaleString('en-GB', { maximumFractionDigits: digits });

/** "median (min-max)" over the runs, or a note of which runs lack the figure. */
function figure(values: (number | null)[], digits = 0, unit = ''): string {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return 'not measured';
  const missing = values.length - present.length;
  const m = fmt(median(present), digits);
  const range = `${fmt(Math.min(...present), digits)}-${fmt(Math.max(...present), digits)}`;
  return `${m}${unit} (${range})${missing ? `, missing in ${missing} run${missing === 1 ? '' : 's'}` : ''}`;
}

const runOf = (key: string, value: unknown) => (j: Json) =>
  (j.runs as Json[] | undefined)?.find((r) => r[key] === value);
const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), o);

const rows: [string, string][] = [];
/** Puts each unit next to its median: "5,874 (5,100-6,000)/s" reads "5,874/s (5,100-6,000)". */
const row = (name: string, text: string) =>
  rows.push([name, text.replace(/ \(([0-9,.]+-[0-9,.]+)\)(\/s| ms| MB| cores| %)/g, '$2 ($1)')]);

for (const mode of ['postgres', 'embedded']) {
  const file = `ingest-${mode}.json`;
  row(
    `ingest, ${mode}`,
    `stored ${figure(each(file, (j) => get(j, 'median', 'storedPerS')))}/s (each run's median run), ` +
      `within 1 s ${figure(
        each(file, (j) => Number(get(j, 'median', 'withinOneSecond')) * 100),
        2,
      )} %; drained ${figure(each(file, (j) => get(j, 'saturation', 'drainPerS')))}/s = ` +
      `${figure(
        each(file, (j) => get(j, 'saturation', 'ratioToSubscriber')),
        2,
      )} x the bare subscriber ` +
      `(${figure(each(file, (j) => get(j, 'baselines', 'bareSubscriber', 'perS')))}/s)`,
  );
}
for (const sockets of [200, 1000]) {
  const r = runOf('sockets', sockets);
  const file = 'latency-postgres.json';
  row(
    `latency, ${sockets} sockets`,
    `p99 ${figure(each(file, (j) => get(r(j), 'latencyMs', 'p99')))} ms, ` +
      `stored ${figure(each(file, (j) => get(r(j), 'storedPerS')))}/s of ${figure(each(file, (j) => get(r(j), 'sentPerS')))}/s sent, ` +
      `push to socket p99 ${figure(each(file, (j) => get(r(j), 'pushToSocketMs', 'p99')))} ms, ` +
      `disconnects ${figure(each(file, (j) => get(r(j), 'disconnected')))}`,
  );
}
{
  const r = runOf('sockets', 50);
  const file = 'region-postgres.json';
  row(
    'region, 50 sockets',
    `p99 ${figure(each(file, (j) => get(r(j), 'latencyMs', 'p99')))} ms ` +
      `(p50 ${figure(each(file, (j) => get(r(j), 'latencyMs', 'p50')))}), ` +
      `push to socket p99 ${figure(each(file, (j) => get(r(j), 'pushToSocketMs', 'p99')))} ms, ` +
      `bare subscriber p99 ${figure(each(file, (j) => get(r(j), 'floorMs', 'p99')))} ms; ` +
      `pushed after the commit p99 ${figure(
        each('region-push-after-commit-postgres.json', (j) => get(r(j), 'latencyMs', 'p99')),
      )} ms`,
  );
}
for (const cameras of [5000, 50000]) {
  const r = runOf('cameras', cameras);
  const file = 'dashboard-postgres.json';
  row(
    `dashboard, ${fmt(cameras, 0)} cameras`,
    `interactive ${figure(each(file, (j) => get(r(j), 'interactiveMedianMs')))} ms; ` +
      `longest frame ${figure(each(file, (j) => get(r(j), 'longestFrameMs')))} ms, ` +
      `p99 ${figure(each(file, (j) => get(r(j), 'p99FrameMs')))}, ` +
      `frames over 50 ms ${figure(each(file, (j) => get(r(j), 'framesOver50Ms')))} ` +
      `of ${figure(each(file, (j) => get(r(j), 'frames')))}, ` +
      `longest task ${figure(each(file, (j) => get(r(j), 'longestTaskMs')))} ms; ` +
      `blank page longest ${figure(each(file, (j) => get(r(j), 'baseline', 'longestFrameMs')))} ms`,
  );
}
{
  const timing = (pattern: RegExp) => (j: Json) =>
    Math.max(
      ...((j.timings as { name: string; medianMs: number }[] | undefined) ?? [])
        .filter((t) => pattern.test(t.name))
        .map((t) => t.medianMs),
    );
  row(
    'reports',
    `fleet, slowest of uptime and summary over 90 days ${figure(
      each('uptime.json', timing(/^(uptime|summary).*[0-9]{2,} cameras.*90 days/)),
      1,
    )} ms; one camera ${figure(each('uptime.json', timing(/1 camera, 90 days/)), 2)} ms`,
  );
}
row(
  'edge agent, 250 cameras',
  `${figure(
    each('agent-default.json', (j) => j.cpuCores),
    3,
  )} cores ` +
    `(${figure(
      each('agent-default.json', (j) => j.childCpuCores),
      3,
    )} in ffprobe and ffmpeg), ` +
    `peak ${figure(each('agent-default.json', (j) => j.rssPeakMb))} MB, ` +
    `cameras up ${figure(each('agent-default.json', (j) => j.camerasUp))}`,
);
row(
  'hub memory, 50,000 cameras',
  `peak RSS ${figure(each('memory.json', (j) => j.hubRssPeakMb))} MB, ` +
    `heap used at the end ${figure(each('memory.json', (j) => get(j, 'hubProcess', 'heapUsedMb')))} MB, ` +
    `${figure(
      each('memory.json', (j) => j.hubCpuCores),
      2,
    )} cores`,
);
row(
  'report load',
  `/healthz p99 ${figure(each('report-load-embedded.json', (j) => get(j, 'healthz', 'p99Ms')))} ms, ` +
    `packs correct ${figure(each('report-load-embedded.json', (j) => get(j, 'packs', 'ok')))}`,
);
for (const kind of ['single, PostgreSQL', 'single, embedded pair', 'cluster standby, PostgreSQL'])
  row(
    `restart, ${kind}`,
    `${figure(each('restart.json', (j) => get(runOf('kind', kind)(j), 'medianMs')))} ms ` +
      `(a bare Node process ${figure(each('restart.json', (j) => j.bareNodeMs))} ms)`,
  );
row(
  'storage',
  `${figure(
    each('storage.json', (j) => Number(j.bytesPerCameraDay) / 1e6),
    2,
  )} MB per camera-day`,
);

const out = (line = '') => process.stdout.write(`${line}\n`);
out(`medians of ${dirs.length} runs of commit ${[...commits][0]} (median, then the runs' range)`);
out();
out('| scenario | measured |');
out('|---|---|');
for (const [name, text] of rows) out(`| ${name} | ${text} |`);
