import { describe, expect, it } from 'vitest';
import { ExtendedQueryGuard } from '../../../hub-server/src/db/extended-query-guard.ts';

// The guard's bookkeeping over answers cut into arbitrary chunks; the real embedded database behind it
// is exercised in test/integration/hub/wire-protocol.test.ts.

/** A backend message: type, 32-bit length counting itself, body. */
function msg(type: string, body = ''): Buffer {
  const b = Buffer.from(body, 'latin1');
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
}
const types = (data: Buffer) => {
  const out: string[] = [];
  for (let pos = 0; pos < data.length; pos += 1 + data.readInt32BE(pos + 1))
    out.push(String.fromCharCode(data[pos] as number));
  return out;
};

/** A stand-in for PGlite that answers each frontend type with the given bytes, cut into `cut`-byte chunks. */
function fakeDb(answers: Record<string, Buffer>, cut: number) {
  const ran: string[] = [];
  return {
    ran,
    exec: async (message: Uint8Array, o: { onRawData: (d: Uint8Array) => void }) => {
      const type = String.fromCharCode(message[0] as number);
      ran.push(type);
      const answer = answers[type] ?? Buffer.alloc(0);
      for (let i = 0; i < answer.length; i += cut) {
        // A reused buffer, as WASM memory may be: the guard must not keep a view of it.
        const chunk = Buffer.from(answer.subarray(i, i + cut));
        o.onRawData(chunk);
        chunk.fill(0);
      }
    },
  };
}

async function run(guard: ExtendedQueryGuard, frontend: string[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const type of frontend)
    await guard.execProtocolRawStream(Buffer.from(type), { onRawData: (d) => out.push(Buffer.from(d)) });
  return Buffer.concat(out);
}

describe('extended query guard', () => {
  const rows = Buffer.concat([
    msg('T', 'x'.repeat(30)),
    msg('D', 'row one'),
    msg('D', 'row two'),
    msg('C', 'SELECT 2'),
  ]);

  it.each([1, 3, 7, 1000])(
    'drops the ReadyForQuery PGlite adds to a failed Execute (chunks of %i bytes)',
    async (cut) => {
      const db = fakeDb(
        {
          P: Buffer.concat([msg('1'), msg('Z', 'I')]),
          B: msg('2'),
          D: rows.subarray(0, 35),
          E: Buffer.concat([msg('D', 'row one'), msg('E', 'SERROR'), msg('Z', 'E')]),
          S: msg('Z', 'E'),
        },
        cut,
      );
      const guard = new ExtendedQueryGuard(db.exec);
      expect(types(await run(guard, ['P', 'B', 'D', 'E', 'S']))).toEqual(['1', '2', 'T', 'D', 'E', 'Z']);
    },
  );

  it('runs nothing after a failed message until the Sync, then runs again', async () => {
    const db = fakeDb({ P: Buffer.concat([msg('E', 'Ssyntax'), msg('Z', 'I')]), S: msg('Z', 'I') }, 4);
    const guard = new ExtendedQueryGuard(db.exec);
    expect(types(await run(guard, ['P', 'B', 'D', 'E', 'S']))).toEqual(['E', 'Z']);
    expect(db.ran).toEqual(['P', 'S']);
    await run(guard, ['P', 'S']);
    expect(db.ran).toEqual(['P', 'S', 'P', 'S']);
  });

  it('passes a whole answer through unchanged when nothing fails', async () => {
    const db = fakeDb({ E: rows, Q: Buffer.concat([rows, msg('Z', 'I')]) }, 5);
    const guard = new ExtendedQueryGuard(db.exec);
    expect(await run(guard, ['E'])).toEqual(rows);
    expect(types(await run(guard, ['Q']))).toEqual(['T', 'D', 'D', 'C', 'Z']);
  });
});
