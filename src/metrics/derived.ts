import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';

export type Rows = { labels: Record<string, string>; value: number }[];

/**
 * A counter or gauge whose values are read, when scraped, from figures kept elsewhere (a running total
 * for a counter): nothing is counted twice and the measured path does no extra work.
 */
export function derivedMetric(
  registry: Registry,
  kind: 'counter' | 'gauge',
  name: string,
  help: string,
  labelNames: string[],
  read: () => Rows,
): void {
  if (kind === 'counter')
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, value } of read()) if (value > 0) this.inc(labels, value);
      },
    });
  else
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, value } of read()) this.set(labels, value);
      },
    });
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** A check of `Authorization: Bearer <token>` against the metrics token, in constant time. */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const header = authorization ?? '';
    return timingSafeEqual(digest(header.startsWith('Bearer ') ? header.slice(7) : ''), expected);
  };
}
