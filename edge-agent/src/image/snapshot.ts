import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AgentError, type ErrorContext, isUnreachableCode } from '../errors.ts';

export interface SnapshotRequest {
  url: string;
  username: string;
  password: string;
  timeoutMs: number;
  maxBytes: number;
  context: ErrorContext;
}

interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function hash(algorithm: string, text: string): string {
  const name = /sha-?256/i.test(algorithm) ? 'sha256' : 'md5';
  return createHash(name).update(text, 'utf8').digest('hex');
}

export function parseChallenge(header: string): { scheme: string; params: Map<string, string> } {
  const scheme = /^\s*(\w+)/.exec(header)?.[1]?.toLowerCase() ?? '';
  const params = new Map<string, string>();
  for (const m of header.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    if (m[1]) params.set(m[1].toLowerCase(), m[2] ?? m[3] ?? '');
  }
  return { scheme, params };
}

/** RFC 7616 Digest response (qop=auth or the RFC 2069 form when the server offers no qop). */
export function digestAuthorization(
  challenge: Map<string, string>,
  method: string,
  uri: string,
  username: string,
  password: string,
  cnonce = randomBytes(8).toString('hex'),
): string {
  const realm = challenge.get('realm') ?? '';
  const nonce = challenge.get('nonce') ?? '';
  const algorithm = challenge.get('algorithm') ?? 'MD5';
  const qop = (challenge.get('qop') ?? '').split(',').map((q) => q.trim());
  const ha1 = hash(algorithm, `${username}:${realm}:${password}`);
  const ha2 = hash(algorithm, `${method}:${uri}`);
  const nc = '00000001';
  const useQop = qop.includes('auth');
  const response = useQop
    ? hash(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : hash(algorithm, `${ha1}:${nonce}:${ha2}`);
  const fields = [
    `username="${username}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `algorithm=${algorithm}`,
    `response="${response}"`,
  ];
  if (useQop) fields.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  const opaque = challenge.get('opaque');
  if (opaque !== undefined) fields.push(`opaque="${opaque}"`);
  return `Digest ${fields.join(', ')}`;
}

function get(url: URL, headers: Record<string, string>, request: SnapshotRequest): Promise<RawResponse> {
  const { context } = request;
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const fail = (error: AgentError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = send(url, { method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > request.maxBytes) {
          fail(new AgentError('snapshot_failed', `snapshot larger than ${request.maxBytes} bytes`, context));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => fail(new AgentError('snapshot_failed', error.message, context)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    const timer = setTimeout(() => {
      fail(new AgentError('timeout', `snapshot gave no answer within ${request.timeoutMs} ms`, context));
    }, request.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      fail(
        new AgentError(
          isUnreachableCode(error.code) ? 'unreachable' : 'snapshot_failed',
          `${error.code ?? ''} ${error.message}`.trim(),
          context,
        ),
      );
    });
    req.end();
  });
}

/**
 * Fetches a snapshot, answering a Digest or Basic challenge as the camera demands. Written here rather than
 * using node-onvif's fetchSnapshot because that keeps credentials in a module-wide singleton (unsafe with
 * many cameras polled at once) and has no timeout. One deadline covers both round trips.
 */
export async function fetchSnapshot(request: SnapshotRequest, now: () => number): Promise<Buffer> {
  const context = { ...request.context, url: request.url, operation: 'snapshot' };
  const startedAt = now();
  const url = new URL(request.url);
  // Credentials embedded in the URI by the camera are used for nothing: ours come from the config.
  url.username = '';
  url.password = '';
  const first = await get(url, {}, { ...request, context });
  let answer = first;
  if (first.status === 401) {
    const header = first.headers['www-authenticate'];
    const challenges = Array.isArray(header) ? header : header ? [header] : [];
    const parsed = challenges.map(parseChallenge);
    const digest = parsed.find((c) => c.scheme === 'digest');
    const basic = parsed.find((c) => c.scheme === 'basic');
    const path = `${url.pathname}${url.search}`;
    let authorization: string;
    if (digest)
      authorization = digestAuthorization(digest.params, 'GET', path, request.username, request.password);
    else if (basic)
      authorization = `Basic ${Buffer.from(`${request.username}:${request.password}`).toString('base64')}`;
    else
      throw new AgentError(
        'auth_failed',
        'snapshot needs an authentication scheme the agent does not speak',
        context,
      );
    const remainingMs = Math.max(1, request.timeoutMs - (now() - startedAt));
    answer = await get(
      url,
      { Authorization: authorization },
      { ...request, timeoutMs: remainingMs, context },
    );
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new AgentError('auth_failed', `snapshot credentials rejected (HTTP ${answer.status})`, context);
  }
  if (answer.status !== 200)
    throw new AgentError('snapshot_failed', `snapshot answered HTTP ${answer.status}`, context);
  const type = String(answer.headers['content-type'] ?? '');
  if (type.startsWith('text/')) {
    throw new AgentError('snapshot_failed', `snapshot returned ${type} instead of an image`, context);
  }
  if (answer.body.length === 0) throw new AgentError('snapshot_failed', 'snapshot is empty', context);
  return answer.body;
}
