import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FaultValidationError, isFaultKind, parseFault, type SimFault, type SimFaultKind } from './faults.ts';

// Fault injection over HTTP for other processes (demo hub, benchmarks, manual testing):
//   GET    /cameras                        -> cameras with endpoints and active faults
//   GET    /cameras/:id/faults             -> active faults
//   PUT    /cameras/:id/faults/:kind       -> set a fault; JSON body holds its parameters (may be empty)
//   DELETE /cameras/:id/faults/:kind       -> clear one fault
//   DELETE /cameras/:id/faults             -> clear all faults
// Replies use one envelope: {"status":"ok","data":...} or {"status":"error","error":{"code","message"}}.

const MAX_BODY_BYTES = 16 * 1024;

export interface FaultController {
  list(): unknown[];
  has(id: string): boolean;
  faults(id: string): SimFault[];
  setFault(id: string, fault: SimFault): Promise<void>;
  clearFault(id: string, kind?: SimFaultKind): Promise<void>;
}

export interface ControlServerOptions {
  host: string;
  port: number;
  fleet: FaultController;
  log: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'BODY_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonBody(text: string, where: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'BAD_JSON', `${where}: body is not valid JSON (${(error as Error).message})`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function withoutKind(params: Record<string, unknown>): Record<string, unknown> {
  const { kind: _kind, ...rest } = params;
  return rest;
}

export class ControlServer {
  private server: Server | undefined;
  private boundPort = 0;

  constructor(private readonly opts: ControlServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => this.fail(res, req, error));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.opts.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://control').pathname;
    const where = `${method} ${path}`;
    let segments: string[];
    try {
      segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'BAD_PATH', `${where}: malformed percent-encoding in the path`);
    }
    const fleet = this.opts.fleet;
    if (segments.length === 1 && segments[0] === 'cameras') {
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${where}: only GET is allowed`);
      return this.ok(res, fleet.list());
    }
    if (segments[0] !== 'cameras' || segments[2] !== 'faults' || segments.length > 4 || !segments[1]) {
      throw new HttpError(404, 'NOT_FOUND', `${where}: no such route`);
    }
    const id = segments[1];
    if (!fleet.has(id))
      throw new HttpError(404, 'UNKNOWN_CAMERA', `${where}: no simulated camera with id '${id}'`);
    const kind = segments[3];
    if (kind === undefined) {
      if (method === 'GET') return this.ok(res, fleet.faults(id));
      if (method === 'DELETE') {
        await fleet.clearFault(id);
        return this.ok(res, fleet.faults(id));
      }
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${where}: only GET and DELETE are allowed`);
    }
    if (method === 'PUT') {
      const params = parseJsonBody(await readBody(req), where);
      // The URL names the kind; a matching "kind" in the body is tolerated, anything else is validated.
      let fault: SimFault;
      if (isPlainObject(params)) {
        if ('kind' in params && params.kind !== kind) {
          const message = `${where}: body kind '${String(params.kind)}' differs from the kind in the URL`;
          throw new HttpError(400, 'SIM_BAD_FAULT', message);
        }
        fault = parseFault(kind, withoutKind(params), where);
      } else {
        fault = parseFault(kind, params, where);
      }
      await fleet.setFault(id, fault);
      return this.ok(res, fleet.faults(id));
    }
    if (method === 'DELETE') {
      if (!isFaultKind(kind)) parseFault(kind, {}, where); // throws the "unknown kind" message
      await fleet.clearFault(id, kind as SimFaultKind);
      return this.ok(res, fleet.faults(id));
    }
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${where}: only PUT and DELETE are allowed`);
  }

  private ok(res: ServerResponse, data: unknown): void {
    this.json(res, 200, { status: 'ok', data });
  }

  private fail(res: ServerResponse, req: IncomingMessage, error: unknown): void {
    if (error instanceof HttpError) {
      this.json(res, error.status, { status: 'error', error: { code: error.code, message: error.message } });
      return;
    }
    if (error instanceof FaultValidationError) {
      this.json(res, 400, { status: 'error', error: { code: error.code, message: error.message } });
      return;
    }
    // Unexpected: details to the log only.
    this.opts.log(`camera-sim control: ${req.method} ${req.url} failed: ${String(error)}`);
    this.json(res, 500, { status: 'error', error: { code: 'INTERNAL', message: 'internal error' } });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}
