import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse } from 'yaml';
import { planDemoFleet, planDemoSources } from '../demo/demo-plan.ts';
import type { CredentialSource, ViewerCredentials } from './feed-manager.ts';

const Credentials = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
const CredentialsFile = Type.Object(
  {
    cameras: Type.Optional(Type.Record(Type.String(), Credentials)),
    sites: Type.Optional(Type.Record(Type.String(), Credentials)),
  },
  { additionalProperties: false },
);
type CredentialsFile = Static<typeof CredentialsFile>;

/**
 * View-only RTSP credentials from a YAML file: by camera id, else by site id. A file that does not
 * parse or has unknown keys stops start-up naming the file and the place; passwords are never echoed.
 */
export function loadCredentialsFile(path: string): CredentialSource {
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`feed credentials file ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  const problem = [...Value.Errors(CredentialsFile, data)][0];
  if (problem)
    throw new Error(
      `feed credentials file ${path}: ${problem.path || '/'} ${problem.message} (expected {cameras: {id: {username, password}}, sites: {...}})`,
    );
  const file = data as CredentialsFile;
  return (camera) => file.cameras?.[camera.id] ?? file.sites?.[camera.siteId] ?? null;
}

/** The demo fleet's simulated cameras: the hub plans the same fleet, so it knows their passwords. */
export function demoCredentials(options: {
  towns: readonly string[] | null;
  maxCamerasPerSite: number;
}): CredentialSource {
  const byCamera = new Map<string, ViewerCredentials>();
  const sites = planDemoFleet(options);
  for (const site of sites)
    for (const cam of site.cameras) byCamera.set(cam.id, { username: cam.username, password: cam.password });
  for (const source of planDemoSources(sites))
    byCamera.set(source.id, { username: source.username, password: source.password });
  return (camera) => byCamera.get(camera.id) ?? null;
}
