import { spawn } from 'node:child_process';

export interface ProcessResult {
  stdout: Buffer;
  /** Last few KB of stderr, for error messages. */
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  elapsedMs: number;
  /** What the tool wrote to each of `extraOutputs` (file descriptors after the extra inputs). */
  outputs: Buffer[];
}

export interface RunOptions {
  timeoutMs: number;
  /** Bytes fed to stdin, then stdin is closed. */
  input?: Buffer;
  /** Output beyond this is a failure (kills the process) so a runaway stream cannot exhaust memory. */
  maxStdoutBytes: number;
  signal?: AbortSignal;
  now: () => number;
  /** Bytes fed to file descriptors 3, 4, ... (`pipe:3` ...), each then closed. */
  extraInputs?: readonly Buffer[];
  /** Pipes after the extra inputs to read (`pipe:N`), each bounded by `maxBytes` like stdout. */
  extraOutputs?: { count: number; maxBytes: number };
}

const STDERR_TAIL_BYTES = 4096;

/**
 * Runs a media tool with a kill timer. ffprobe/ffmpeg have no overall deadline of their own (a server that
 * accepts and never answers hangs them), so SIGKILL after `timeoutMs` is the only reliable bound.
 * Never rejects for non-zero exit: callers turn the result into a domain error with context.
 */
export function runProcess(
  binary: string,
  args: readonly string[],
  options: RunOptions,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const startedAt = options.now();
    if (options.signal?.aborted) {
      resolve({
        stdout: Buffer.alloc(0),
        stderr: '',
        exitCode: null,
        signal: null,
        timedOut: false,
        aborted: true,
        elapsedMs: 0,
        outputs: [],
      });
      return;
    }
    const inputs = options.extraInputs ?? [];
    const outputCount = options.extraOutputs?.count ?? 0;
    const child = spawn(binary, args, {
      stdio: [
        'pipe',
        'pipe',
        'pipe',
        ...Array.from({ length: inputs.length + outputCount }, () => 'pipe' as const),
      ],
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let overflow = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxStdoutBytes) {
        overflow = true;
        kill();
        return;
      }
      chunks.push(chunk);
    });
    const outputs = Array.from({ length: outputCount }, () => ({ chunks: [] as Buffer[], bytes: 0 }));
    outputs.forEach((output, i) => {
      const stream = child.stdio[3 + inputs.length + i] as NodeJS.ReadableStream;
      stream.on('data', (chunk: Buffer) => {
        output.bytes += chunk.length;
        if (output.bytes > (options.extraOutputs?.maxBytes ?? 0)) {
          overflow = true;
          kill();
          return;
        }
        output.chunks.push(chunk);
      });
    });
    inputs.forEach((input, i) => {
      const stream = child.stdio[3 + i] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
      stream.on('error', () => undefined);
      stream.end(input);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // EPIPE when the tool exits before reading all input (e.g. it rejected the data): the exit code tells.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        stdout: Buffer.concat(chunks),
        stderr: overflow ? `${stderr}\noutput exceeded ${options.maxStdoutBytes} bytes` : stderr,
        exitCode,
        signal,
        timedOut,
        aborted,
        elapsedMs: options.now() - startedAt,
        outputs: outputs.map((output) => Buffer.concat(output.chunks)),
      });
    });
    if (options.input) child.stdin.end(options.input);
    else child.stdin.end();
  });
}
