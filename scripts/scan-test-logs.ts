// Scans the log lines the test hubs and agents wrote (test-results/logs) for secrets: tokens,
// passwords in URLs, the tests' own secrets, password fields. Run after the whole test run (CI does).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanText } from '../test/support/secret-scan.ts';

const dir = join(process.cwd(), 'test-results', 'logs');
let files: string[] = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
} catch {
  files = [];
}
let lines = 0;
const findings = [];
for (const file of files) {
  const text = readFileSync(join(dir, file), 'utf8');
  lines += text.split('\n').length - 1;
  findings.push(...scanText(file, text));
}
if (lines === 0) {
  process.stderr.write(`secret scan: no test logs under ${dir}: run the tests first\n`);
  process.exit(2);
}
for (const f of findings.slice(0, 50)) process.stderr.write(`${f.file}:${f.line}: ${f.rule}: ${f.excerpt}\n`);
process.stdout.write(
  `secret scan: ${lines} log lines in ${files.length} files, ${findings.length} findings\n`,
);
process.exit(findings.length === 0 ? 0 : 1);
