import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALL_MAX_LAYOUTS } from '../../../src/schemas/wall-api.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';

// Camera wall layouts at the hub: per user, bounded in count and name length, control rooms and
// hub operators only.

describe('camera wall layouts', () => {
  let h: HubHarness;
  let control: string;
  let other: string;

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  const put = (name: string, body: unknown, token = control) =>
    call('PUT', `/api/wall-layouts/${encodeURIComponent(name)}`, token, body);

  beforeAll(async () => {
    h = await startHub({});
    await h.createUser('cr', 'controlroom');
    await h.createUser('cr2', 'controlroom');
    await h.createUser('aud', 'auditor');
    control = await h.login('cr');
    other = await h.login('cr2');
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  it("saves, lists, replaces and deletes a user's layouts, unseen by other users", async () => {
    const saved = await put('Town centre', { grid: 3, cameraIds: ['cam-a', 'cam-b'] });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ name: 'Town centre', grid: 3, cameraIds: ['cam-a', 'cam-b'] });
    expect((await put('Town centre', { grid: 2, cameraIds: ['cam-c'] })).status).toBe(200);
    const listed = await call('GET', '/api/wall-layouts', control);
    expect(listed.body).toMatchObject([{ name: 'Town centre', grid: 2, cameraIds: ['cam-c'] }]);
    expect((await call('GET', '/api/wall-layouts', other)).body).toEqual([]);
    expect((await call('DELETE', '/api/wall-layouts/Town%20centre', other)).status).toBe(404);
    expect((await call('DELETE', '/api/wall-layouts/Town%20centre', control)).status).toBe(204);
    expect((await call('GET', '/api/wall-layouts', control)).body).toEqual([]);
  });

  it.each([
    {
      why: 'a name too long',
      name: 'x'.repeat(61),
      body: { grid: 1, cameraIds: [] },
      code: 'FST_ERR_VALIDATION',
    },
    { why: 'a grid past 4x4', name: 'big', body: { grid: 5, cameraIds: [] }, code: 'FST_ERR_VALIDATION' },
    {
      why: 'more cameras than the grid holds',
      name: 'small',
      body: { grid: 1, cameraIds: ['cam-a', 'cam-b'] },
      code: 'LAYOUT_TOO_MANY_CAMERAS',
    },
    {
      why: 'a camera twice',
      name: 'twice',
      body: { grid: 2, cameraIds: ['cam-a', 'cam-a'] },
      code: 'FST_ERR_VALIDATION',
    },
  ])('refuses $why', async ({ name, body, code }) => {
    const r = await put(name, body);
    expect(r.status).toBe(400);
    expect((r.body as { code: string }).code).toBe(code);
  });

  it('takes 16 cameras on a 4x4 wall', async () => {
    const cameraIds = Array.from({ length: 16 }, (_, i) => `cam-${i}`);
    expect((await put('Sixteen', { grid: 4, cameraIds })).status).toBe(200);
    expect((await call('DELETE', '/api/wall-layouts/Sixteen', control)).status).toBe(204);
  });

  it(`keeps at most ${WALL_MAX_LAYOUTS} layouts a user, but saving over one still works`, async () => {
    for (let i = 0; i < WALL_MAX_LAYOUTS; i++)
      expect((await put(`wall ${i}`, { grid: 1, cameraIds: [] })).status).toBe(200);
    const refused = await put('one more', { grid: 1, cameraIds: [] });
    expect(refused.status).toBe(409);
    expect((refused.body as { code: string }).code).toBe('LAYOUT_LIMIT');
    expect((await put('wall 0', { grid: 2, cameraIds: ['cam-a'] })).status).toBe(200);
  });

  it('is for control rooms and hub operators', async () => {
    const auditor = await h.login('aud');
    expect((await call('GET', '/api/wall-layouts', auditor)).status).toBe(403);
    expect((await put('mine', { grid: 1, cameraIds: [] }, auditor)).status).toBe(403);
  });
});
