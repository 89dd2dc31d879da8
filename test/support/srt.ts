import { spawn } from 'node:child_process';
import { type MediaBinaries, readableProtocols } from '../../edge-agent/src/media/binaries.ts';

/**
 * An ffmpeg and ffprobe that read SRT (built with libsrt), from one build: the pair named by
 * CCTV_SRT_FFMPEG and CCTV_SRT_FFPROBE, or the system's (Debian's ffmpeg package has libsrt). The
 * npm-shipped ffmpeg has no libsrt, and the npm-shipped ffprobe lists SRT but crashed on it
 * (a segmentation fault on connecting), so on a machine without the system package the SRT tests
 * fail here, saying what to install.
 */
export function srtMedia(): MediaBinaries {
  const pairs: [string | undefined, string | undefined][] = [
    [process.env.CCTV_SRT_FFMPEG, process.env.CCTV_SRT_FFPROBE],
    ['/usr/bin/ffmpeg', '/usr/bin/ffprobe'],
  ];
  for (const [ffmpegPath, ffprobePath] of pairs) {
    if (!ffmpegPath || !ffprobePath) continue;
    try {
      if (readableProtocols(ffmpegPath).has('srt') && readableProtocols(ffprobePath).has('srt'))
        return { ffmpegPath, ffprobePath };
    } catch {
      // not there, or not runnable: try the next
    }
  }
  throw new Error(
    'no ffmpeg and ffprobe here read SRT (they need libsrt): install the system ffmpeg (apt-get install ffmpeg) or set CCTV_SRT_FFMPEG and CCTV_SRT_FFPROBE',
  );
}

/** A server of a test picture started again after each client, and how to stop it. */
export interface OneClientServer {
  /** How many times the server has been started (the first start included). */
  starts: () => number;
  stop: () => void;
}

/**
 * ffmpeg serving a test picture (H.264, 320x240 at 10 fps) to one client at a time, in listener mode
 * (`-listen 1` for RTMP, `mode=listener` for SRT), as a drone's ground station serves one. It is
 * started again after each client: the hub's stream check is one client, a feed the next.
 */
export function serveTestPicture(
  ffmpegPath: string,
  output: readonly string[],
  seconds = 90,
): OneClientServer {
  let serving = true;
  const servers: ReturnType<typeof spawn>[] = [];
  const serve = () => {
    const server = spawn(
      ffmpegPath,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=10',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '10',
        '-t',
        String(seconds),
        ...output,
      ],
      { stdio: 'ignore' },
    );
    servers.push(server);
    server.once('exit', () => {
      if (serving) setTimeout(() => serving && serve(), 100);
    });
  };
  serve();
  return {
    starts: () => servers.length,
    stop: () => {
      serving = false;
      for (const server of servers) server.kill('SIGKILL');
    },
  };
}

/** An AES-protected SRT server of the test picture (MPEG-TS). */
export function serveSrt(options: { ffmpegPath: string; port: number; passphrase: string }): OneClientServer {
  return serveTestPicture(options.ffmpegPath, [
    '-f',
    'mpegts',
    `srt://127.0.0.1:${options.port}?mode=listener&passphrase=${encodeURIComponent(options.passphrase)}&pbkeylen=16`,
  ]);
}
