import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';
import { loadAgentConfig } from '../config.ts';
import type { Credential } from './inspect-device.ts';
import type { ProposedCamera } from './propose.ts';

// Appends discovered cameras to an agent config, keeping everything else in it (comments included), and
// puts each camera's password in a file of its own (0600, in the 0700 secrets/ next to the config),
// never in the config. Cameras already there (same ONVIF URL and channel, or same id) are left alone.

export class WriteConfigError extends Error {}

export interface WriteOutcome {
  added: { id: string; passwordFile: string }[];
  /** Already in the config, with why. */
  skipped: { id: string; why: string }[];
}

async function writePrivate(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

interface ExistingCamera {
  id: string;
  url: string;
  name: string;
}

function existingCameras(seq: YAMLSeq): ExistingCamera[] {
  return seq.items.filter(isMap).map((item) => ({
    id: String(item.get('id') ?? ''),
    url: String(item.getIn(['onvif', 'url']) ?? ''),
    name: String(item.get('name') ?? ''),
  }));
}

export async function appendCameras(
  configPath: string,
  proposals: readonly ProposedCamera[],
  credentials: readonly Credential[],
  env: Record<string, string | undefined>,
): Promise<WriteOutcome> {
  const path = resolve(configPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new WriteConfigError(
      `cannot read ${path}: ${(error as Error).message} (enrol first, or give --config)`,
    );
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new WriteConfigError(`${path} is not valid YAML (${doc.errors[0]?.message})`);
  let cameras = doc.get('cameras');
  if (!isSeq(cameras)) {
    if (cameras !== undefined && cameras !== null)
      throw new WriteConfigError(`${path}: cameras: is not a list`);
    cameras = new YAMLSeq();
    doc.set('cameras', cameras);
  }
  const seq = cameras as YAMLSeq;
  // An empty `cameras: []` is a flow sequence; entries appended to it belong in block style.
  seq.flow = false;
  const existing = existingCameras(seq);
  const secrets = join(dirname(path), 'secrets');
  const outcome: WriteOutcome = { added: [], skipped: [] };
  const pending: { file: string; password: string }[] = [];
  for (const camera of proposals) {
    // One device, one picture: its URL says it is there. A recorder's channels share a URL: ids written
    // by an earlier discover say which channels are there; a camera listed by hand at that URL keeps
    // every channel out (which channel it is cannot be told).
    const siblings = new Set(proposals.filter((p) => p.onvif.url === camera.onvif.url).map((p) => p.id));
    const sameUrl = existing.find(
      (c) => c.url === camera.onvif.url && (camera.channel === null || !siblings.has(c.id)),
    );
    const sameId = existing.find((c) => c.id === camera.id);
    const clash = sameUrl || sameId;
    if (clash) {
      outcome.skipped.push({
        id: camera.id,
        why: sameUrl ? `already listed as ${clash.id} (same ONVIF URL)` : 'a camera with this id is listed',
      });
      continue;
    }
    const credential = credentials[camera.credentialIndex];
    if (!credential) throw new WriteConfigError(`no credential ${camera.credentialIndex} for ${camera.id}`);
    const passwordFile = join(secrets, `camera-${camera.id}.password`);
    pending.push({ file: passwordFile, password: credential.password });
    const node = doc.createNode({
      id: camera.id,
      name: camera.name,
      onvif: {
        url: camera.onvif.url,
        username: camera.onvif.username,
        passwordFile,
        // A recorder's channel is judged by its own profile, not the device's first.
        ...(camera.channel !== null ? { profileToken: camera.profile.token } : {}),
      },
      commissioning: camera.commissioning,
    });
    node.commentBefore =
      ' Found by discover: the commissioning values are PLACEHOLDERS; measure and replace them before commission.';
    seq.add(node);
    existing.push({ id: camera.id, url: camera.onvif.url, name: camera.name });
    outcome.added.push({ id: camera.id, passwordFile });
  }
  if (outcome.added.length === 0) return outcome;
  await mkdir(secrets, { recursive: true, mode: 0o700 });
  await chmod(secrets, 0o700);
  for (const p of pending) await writePrivate(p.file, `${p.password}\n`, 0o600);
  // The new config must load as the agent loads it before it replaces the old one.
  const candidate = `${path}.${process.pid}.new.yaml`;
  await writePrivate(candidate, doc.toString(), 0o640);
  try {
    await loadAgentConfig({ path: candidate, env });
  } catch (error) {
    await rm(candidate, { force: true });
    await Promise.all(pending.map((p) => rm(p.file, { force: true })));
    throw new WriteConfigError(
      `the config with the new cameras would not load, left unchanged: ${(error as Error).message}`,
    );
  }
  await rename(candidate, path);
  return outcome;
}
