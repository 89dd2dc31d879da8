import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAgentConfig } from '../../../edge-agent/src/config.ts';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';

const examplePath = fileURLToPath(new URL('../../../config/agent.example.yaml', import.meta.url));

describe('config/agent.example.yaml', () => {
  it('resolves, with two cameras', async () => {
    const env = { PENZANCE_CAM1_PASSWORD: 'x', PENZANCE_NVR_PASSWORD: 'y' };
    const read = async (path: string) => (path === examplePath ? readFile(path, 'utf8') : 'file-secret\n');
    const { config, secrets } = await loadAgentConfig({ path: examplePath, env, read });
    expect(config.cameras).toHaveLength(2);
    expect(secrets.cameraPasswords.size).toBe(2);
    // One recorder holding the first camera, and the second camera recording to its own card.
    expect(secrets.recorderPasswords?.get('penzance-nvr')).toBe('y');
    expect(config.cameras.map((c) => c.recording?.recorder ?? null)).toEqual(['penzance-nvr', null]);
  });

  it('writes every optional setting at its built-in default', async () => {
    const written = parse(await readFile(examplePath, 'utf8')) as Record<string, unknown>;
    const defaults = defaultsOf(AgentConfig) as Record<string, Record<string, unknown>>;
    for (const group of [
      'mqtt',
      'poll',
      'outbox',
      'thresholds',
      'video',
      'impairment',
      'recording',
    ] as const) {
      expect(written[group], `group ${group}`).toEqual(defaults[group]);
    }
  });
});
