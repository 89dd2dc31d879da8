import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What must never appear in a log line: bearer tokens (JWTs), URLs with a password in them, the
 * secrets the tests themselves use, and password fields with a value. Each rule has a name so a
 * finding says what leaked.
 */
export const SECRET_PATTERNS: { name: string; pattern: RegExp }[] = [
  { name: 'JWT bearer token', pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/ },
  { name: 'password in a URL', pattern: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@"'*]+:(?!\*)[^/\s@"']+@/i },
  { name: 'token signing secret of the tests', pattern: /test-secret-not-for-production/ },
  { name: 'camera password of the test sites', pattern: /Pw-[A-Za-z0-9_-]+-Zq81x/ },
  { name: 'demo camera password', pattern: /sim-[a-z0-9-]+-\d+(?![\w-])/ },
  { name: 'hub API key', pattern: /cctvk_[a-z0-9]{12}_[A-Za-z0-9_-]{20,}/ },
  {
    name: 'password field with a value',
    pattern:
      /"(?:password|passwd|secret|token|key|currentPassword|newPassword)"\s*:\s*"(?!\*+"|\[redacted\]")[^"]+"/i,
  },
];

export interface Finding {
  file: string;
  line: number;
  rule: string;
  excerpt: string;
}

/** Findings in one file's text (excerpts are cut around the match and masked). */
export function scanText(file: string, text: string): Finding[] {
  const out: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    for (const { name, pattern } of SECRET_PATTERNS) {
      const m = pattern.exec(line);
      if (!m) continue;
      const start = Math.max(0, m.index - 40);
      const excerpt = `${line.slice(start, m.index)}[${m[0].length} chars]${line.slice(m.index + m[0].length, m.index + m[0].length + 40)}`;
      out.push({ file, line: i + 1, rule: name, excerpt });
    }
  });
  return out;
}

const LOG_DIR = join(process.cwd(), 'test-results', 'logs');
let prepared = false;

/**
 * Keeps a copy of every log line a test hub or agent writes, so the CI run can check afterwards
 * that none holds a secret (scripts/scan-test-logs.ts).
 */
export function keepLogLine(source: string, line: string): void {
  if (!prepared) {
    mkdirSync(LOG_DIR, { recursive: true });
    prepared = true;
  }
  appendFileSync(join(LOG_DIR, `${source}-${process.pid}.ndjson`), line.endsWith('\n') ? line : `${line}\n`);
}
