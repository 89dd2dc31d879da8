import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A hub this one calls with a hub-to-hub key (a link's apiUrl, key and CA). */
export interface PeerEndpoint {
  hub: string;
  apiUrl: string;
  key: string;
  ca?: string | null;
}

export class PeerCallError extends Error {
  constructor(
    readonly hub: string,
    /** The peer's HTTP status, or 0 when it could not be reached. */
    readonly status: number,
    /** The peer's error code, when it sent one. */
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** Bounded in time and size; the key goes in a header, never in the URL. */
export interface PeerCallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  timeoutMs?: number;
  maxBytes?: number;
  /** Sent as ?peer=<self>: the peer applies its policy for this hub. */
  self: string;
  /** Send the hub-to-hub key (false: the path's own signature is the authority). */
  withKey?: boolean;
}

function send(peer: PeerEndpoint, path: string, options: PeerCallOptions): Promise<IncomingMessage> {
  const url = new URL(path, peer.apiUrl);
  if (options.withKey !== false) url.searchParams.set('peer', options.self);
  const get = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = options.body === undefined ? null : Buffer.from(JSON.stringify(options.body));
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const request = get(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(options.withKey === false ? {} : { authorization: `Bearer ${peer.key}` }),
          ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
        },
        timeout: timeoutMs,
        ...(peer.ca ? { ca: peer.ca } : {}),
      },
      resolve,
    );
    request.on('timeout', () =>
      request.destroy(
        new PeerCallError(peer.hub, 0, null, `hub ${peer.hub} did not answer within ${timeoutMs} ms`),
      ),
    );
    request.on('error', (error) =>
      reject(
        error instanceof PeerCallError
          ? error
          : new PeerCallError(peer.hub, 0, null, `hub ${peer.hub} could not be reached: ${error.message}`),
      ),
    );
    request.end(body ?? undefined);
  });
}

async function readBody(peer: PeerEndpoint, response: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.destroy();
      throw new PeerCallError(
        peer.hub,
        response.statusCode ?? 0,
        null,
        `hub ${peer.hub} sent more than ${maxBytes} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Calls a peer's federation API; resolves to its JSON answer, or rejects with a PeerCallError. */
export async function callPeer(peer: PeerEndpoint, path: string, options: PeerCallOptions): Promise<unknown> {
  const response = await send(peer, path, options);
  const text = await readBody(peer, response, options.maxBytes ?? 1_048_576);
  const status = response.statusCode ?? 0;
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new PeerCallError(peer.hub, status, null, `hub ${peer.hub} answered ${status} with no JSON`);
  }
  if (status < 200 || status >= 300) {
    const error = (json ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof error.code === 'string' ? error.code.slice(0, 64) : null;
    const message = typeof error.message === 'string' ? error.message.slice(0, 300) : `status ${status}`;
    throw new PeerCallError(peer.hub, status, code, `hub ${peer.hub}: ${message}`);
  }
  return json;
}

/** A GET whose answer is streamed on (feed playlists and segments), without the key. */
export function streamFromPeer(
  peer: PeerEndpoint,
  path: string,
  timeoutMs = 15_000,
): Promise<IncomingMessage> {
  return send(peer, path, { self: '', withKey: false, timeoutMs });
}
