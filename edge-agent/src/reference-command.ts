import { ConfigError } from '../../src/config/resolve.ts';
import { configPathFrom, loadAgentConfig } from './config.ts';
import { AgentError, errorMessage } from './errors.ts';
import { resolveMediaBinaries } from './media/binaries.ts';
import { captureReference, hasReference, referencePath } from './media/reference-frame.ts';
import { cameraProfile, NodeOnvifCamera } from './onvif/device-client.ts';

// Commissioning: takes each camera's reference frame (the view it was installed to see) from its main
// stream and stores it on the agent's disk, where video analysis compares every sample with it.
//   npm run agent:reference -- --config site.yaml [--camera <id> ...] [--replace]
// Existing frames are kept unless --replace is given: re-commissioning is a deliberate act.

function argValues(argv: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name && argv[i + 1] && !argv[i + 1]?.startsWith('--')) values.push(argv[i + 1] as string);
    else if (argv[i]?.startsWith(`${name}=`)) values.push((argv[i] as string).slice(name.length + 1));
  }
  return values;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { config, secrets } = await loadAgentConfig({
    path: configPathFrom(argv, process.env),
    env: process.env,
  });
  const wanted = argValues(argv, '--camera');
  const replace = argv.includes('--replace');
  const unknown = wanted.filter((id) => !config.cameras.some((c) => c.id === id));
  if (unknown.length > 0)
    throw new ConfigError('command line', [`no camera ${unknown.join(', ')} in the config`]);
  const media = resolveMediaBinaries(process.env);
  let failures = 0;
  for (const camera of config.cameras) {
    if (wanted.length > 0 && !wanted.includes(camera.id)) continue;
    const path = referencePath(config.video.referenceDir, config.site.id, camera.id);
    if (!replace && (await hasReference(path))) {
      process.stdout.write(`${camera.id}: kept ${path} (--replace to take a new one)\n`);
      continue;
    }
    const password = secrets.cameraPasswords.get(camera.id) ?? '';
    const context = { siteId: config.site.id, cameraId: camera.id };
    try {
      const onvif = new NodeOnvifCamera({
        url: camera.onvif.url,
        username: camera.onvif.username,
        password,
        timeoutMs: config.poll.onvifTimeoutMs,
        now: Date.now,
        context,
      });
      const uri = cameraProfile((await onvif.readDevice()).profiles, camera.onvif.profileToken)?.streamUri;
      if (!uri) throw new AgentError('no_video', 'camera reports no RTSP stream URI', context);
      await captureReference(path, {
        ffmpegPath: media.ffmpegPath,
        uri,
        username: camera.onvif.username,
        password,
        timeoutMs: config.video.timeoutMs,
        now: Date.now,
        context,
      });
      process.stdout.write(`${camera.id}: reference frame stored at ${path}\n`);
    } catch (error) {
      failures += 1;
      process.stderr.write(`${camera.id}: ${errorMessage(error)}\n`);
    }
  }
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : errorMessage(error)}\n`);
    process.exit(2);
  },
);
