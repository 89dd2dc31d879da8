import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../../hub-server/src/sources/source-repository.ts';
import { SourceService } from '../../../hub-server/src/sources/source-service.ts';
import { FleetState } from '../../../hub-server/src/state/fleet-state.ts';
import type { SourceInput } from '../../../src/schemas/sources.ts';

// A source's stream address is checked before anything is stored: the database is never asked.
const untouchable = new Proxy({} as pg.Pool, {
  get: () => {
    throw new Error('the database was asked');
  },
});

function service(reads: (scheme: string) => boolean) {
  return new SourceService({
    pool: untouchable,
    fleet: new FleetState(),
    staleAfterMs: 5000,
    offlineAfterMs: 60_000,
    trackMinutes: 10,
    now: Date.now,
    changed: () => {},
    removed: () => {},
    reads,
  });
}

const input = (streamUrl: string): SourceInput => ({
  id: 'drone-1',
  kind: 'drone',
  name: 'Drone 1',
  unit: 'Drone unit',
  relaySiteId: 'air-ops',
  streamUrl,
});

async function refusal(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  const e = error as SourceError;
  return { status: e.status, code: e.code, message: e.message };
}

describe("a mobile source's stream address", () => {
  it("is refused as SRT when the hub's ffmpeg cannot read it, saying what to install", async () => {
    const noSrt = service((scheme) => scheme !== 'srt:');
    const refused = await refusal(noSrt.create(input('srt://10.0.0.5:9000?streamid=d1'), 'op'));
    expect(refused).toMatchObject({ status: 400, code: 'STREAM_PROTOCOL_UNSUPPORTED' });
    expect(refused.message).toContain('libsrt');
    expect((await refusal(noSrt.setStream('drone-1', 'srt://10.0.0.5:9000'))).code).toBe(
      'STREAM_PROTOCOL_UNSUPPORTED',
    );
  });

  it('is refused with a passphrase in it, or with options that would make the hub listen, before any store', async () => {
    const srt = service(() => true);
    expect((await refusal(srt.create(input('srt://10.0.0.5:9000?passphrase=0123456789'), 'op'))).code).toBe(
      'STREAM_URL_CREDENTIALS',
    );
    expect((await refusal(srt.create(input('srt://10.0.0.5:9000?mode=listener'), 'op'))).code).toBe(
      'STREAM_URL_INVALID',
    );
  });

  it('goes on to be stored when the hub reads it (the database is asked)', async () => {
    const srt = service(() => true);
    await expect(srt.create(input('srt://10.0.0.5:9000?streamid=d1'), 'op')).rejects.toThrow(
      'the database was asked',
    );
  });
});
