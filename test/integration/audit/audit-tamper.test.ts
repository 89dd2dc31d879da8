import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../hub-server/src/audit/audit-log.ts';
import type { AuditVerifyResult, ChainProblemCode } from '../../../src/schemas/audit-api.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';

// Tampering by someone with direct SQL access who switches the append-only triggers off: every
// altered field, a removed entry in the middle and removed newest entries are found by the verify
// endpoint and by `npm run audit:verify` run as a separate process against the same database.

const ROOT = join(import.meta.dirname, '../../..');

interface CommandResult {
  code: number;
  output: string;
}

describe('audit log tampering', () => {
  let h: HubHarness;
  let auditor: string;
  let total = 0;

  const db = () => h.hub.database.pool;
  /** Runs SQL with triggers off (replica role), as a superuser with a grudge could. */
  const bypass = async (sql: string | string[], params: unknown[] = []) => {
    const client = await db().connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      for (const statement of Array.isArray(sql) ? sql : [sql]) await client.query(statement, params);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
  const restore = () => bypass(['DELETE FROM audit_log', 'INSERT INTO audit_log SELECT * FROM audit_backup']);
  const verifyApi = async () => {
    const r = await fetch(`${h.hub.url}/api/audit/verify`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(r.status).toBe(200);
    return (await r.json()) as AuditVerifyResult;
  };
  const runCommand = (dataDir = join(h.services.dataDir, 'pglite'), databaseUrl = h.services.databaseUrl) =>
    new Promise<CommandResult>((resolve) => {
      const env: Record<string, string | undefined> = { ...process.env };
      delete env.DATABASE_URL;
      if (databaseUrl) env.DATABASE_URL = databaseUrl;
      else env.CCTV_HUB__database__dataDir = dataDir;
      execFile(
        'npm',
        ['run', '--silent', 'audit:verify'],
        { cwd: ROOT, env, timeout: 120_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? ((error as { code?: number }).code ?? -1) : 0,
            output: `${stdout}${stderr}`,
          }),
      );
    });
  /**
   * The command against the hub's database. PostgreSQL: while the hub runs. Embedded: the data
   * directory serves one process at a time, so the hub stops for it and starts again after.
   */
  const verifyCommand = async () => {
    if (h.services.databaseUrl) return runCommand();
    await h.hub.stop();
    try {
      return await runCommand();
    } finally {
      await h.hub.start();
    }
  };
  const expectBroken = async (code: ChainProblemCode, seq: number, text: RegExp, command = false) => {
    const api = await verifyApi();
    expect(api.ok).toBe(false);
    expect(api.problem).toMatchObject({ code, seq });
    expect(api.message).toMatch(text);
    if (command) {
      const run = await verifyCommand();
      expect(run.output).toContain(`audit log broken at entry ${seq}`);
      expect(run.output).toMatch(text);
      expect(run.code).toBe(1);
    }
  };

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('op', 'operator');
    await h.createUser('aud', 'auditor');
    auditor = await h.login('aud');
    await h.login('op');
    await expect(h.login('op', 'wrong')).rejects.toThrow('401');
    const audit = new AuditLog(h.hub.database.pool);
    for (const [i, incidentRef] of ['INC-1', null, 'INC-2', null, 'INC-3'].entries()) {
      await audit.append({
        kind: i % 2 ? 'feed.end' : 'feed.start',
        actor: 'control',
        role: 'controlroom',
        councilId: i % 2 ? null : 'penzance',
        cameraId: `cam-${i}`,
        incidentRef,
        reason: incidentRef ? 'search for a missing person' : null,
        detail: { sessionId: `s${i}`, bytes: i * 1000 },
      });
    }
    total = (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]?.n ?? 0;
    await db().query('CREATE TABLE audit_backup AS SELECT * FROM audit_log');
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('starts intact, by the endpoint and by the command', async () => {
    expect(total).toBe(8);
    expect(await verifyApi()).toMatchObject({ ok: true, checked: total, problem: null });
    const run = await verifyCommand();
    expect(run.output).toContain(`audit log intact: ${total} entries`);
    expect(run.code).toBe(0);
  });

  it.each([
    ['at', "at + interval '1 second'", 'HASH_MISMATCH'],
    ['kind', "CASE WHEN kind = 'feed.end' THEN 'feed.start' ELSE 'feed.end' END", 'HASH_MISMATCH'],
    ['actor', "'mallory'", 'HASH_MISMATCH'],
    ['role', "CASE WHEN role = 'operator' THEN 'auditor' ELSE 'operator' END", 'HASH_MISMATCH'],
    ['council_id', "coalesce(council_id, '') || 'x'", 'HASH_MISMATCH'],
    ['subject', "coalesce(subject, '') || 'x'", 'HASH_MISMATCH'],
    ['incident_ref', "coalesce(incident_ref, '') || 'x'", 'HASH_MISMATCH'],
    ['reason', "coalesce(reason, '') || 'x'", 'HASH_MISMATCH'],
    ['detail', `detail || '{"x": 1}'`, 'HASH_MISMATCH'],
    ['hash', "repeat('b', 64)", 'HASH_MISMATCH'],
    ['prev_hash', "repeat('a', 64)", 'PREV_HASH_MISMATCH'],
  ] as const)('finds an altered %s, on any row', async (column, value, code) => {
    for (const seq of [1, 4, total]) {
      await bypass(`UPDATE audit_log SET ${column} = ${value} WHERE seq = $1`, [seq]);
      await expectBroken(code, seq, new RegExp(`entry ${seq} (was altered|does not (follow|start))`));
      await restore();
    }
    expect((await verifyApi()).ok).toBe(true);
  });

  it('finds an altered entry with the command too', async () => {
    await bypass("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
    await expectBroken('HASH_MISMATCH', 3, /entry 3 was altered/, true);
    await restore();
  });

  it('finds an entry removed from the middle', async () => {
    await bypass('DELETE FROM audit_log WHERE seq = 4');
    await expectBroken('SEQ_GAP', 4, /entry 4 is missing: entry 3 is followed by entry 5/, true);
    await restore();
  });

  it('finds a removed entry when the later ones were renumbered and rehashed from the gap', async () => {
    // Renumbering alone cannot close the gap: the next entry still names the removed one's hash.
    await bypass('DELETE FROM audit_log WHERE seq = 4');
    await bypass('UPDATE audit_log SET seq = seq - 1 WHERE seq > 4');
    await expectBroken('PREV_HASH_MISMATCH', 4, /entry 4 does not follow entry 3/);
    await restore();
  });

  it('finds removed newest entries by the chain head', async () => {
    await bypass('DELETE FROM audit_log WHERE seq = $1', [total]);
    await expectBroken(
      'TAIL_MISSING',
      total,
      new RegExp(`entry ${total} is missing: the chain head records ${total}`),
      true,
    );
    await restore();
    await bypass('DELETE FROM audit_log WHERE seq > 2');
    await expectBroken('TAIL_MISSING', 3, new RegExp(`entries 3 to ${total} are missing`));
    await restore();
  });

  it('finds a removed chain head record', async () => {
    await bypass('CREATE TABLE head_backup AS SELECT * FROM audit_chain_head');
    await bypass('DELETE FROM audit_chain_head');
    await expectBroken('HEAD_MISSING', total + 1, /chain head record is missing/);
    await bypass('INSERT INTO audit_chain_head SELECT * FROM head_backup');
  });

  it('says when it cannot check (exit 2): no database there, or the embedded one in use', async () => {
    const missing = await runCommand(join(h.services.dataDir, 'nothing-here'), null);
    expect(missing.output).toContain('audit verification could not run: no embedded database in');
    expect(missing.code).toBe(2);
    if (!h.services.databaseUrl) {
      const busy = await runCommand();
      expect(busy.output).toMatch(/the embedded database in .* is in use: stop the hub first/);
      expect(busy.code).toBe(2);
    }
  });

  it('is intact again once restored, and appends continue the chain', async () => {
    expect(await verifyApi()).toMatchObject({ ok: true, checked: total });
    await h.login('op');
    const after = await verifyApi();
    expect(after).toMatchObject({ ok: true, checked: total + 1, head: { seq: total + 1 } });
  });
});
