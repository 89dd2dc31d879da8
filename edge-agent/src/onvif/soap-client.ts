import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AgentError, type ErrorContext, errorMessage, isUnreachableCode } from '../errors.ts';
import { escapeXml, isAuthFault, parseSoapFault } from './xml.ts';

export interface SoapCredentials {
  username: string;
  password: string;
  /** Camera clock minus ours: the WS-Security `Created` stamp must fall inside the camera's window. */
  timeDiffMs: number;
}

export interface SoapRequest {
  url: string;
  /** Inner XML of `<s:Body>`, with any prefixes it uses declared in `namespaces`. */
  body: string;
  namespaces?: Record<string, string>;
  credentials?: SoapCredentials;
  timeoutMs: number;
  now: () => number;
  context: ErrorContext;
}

export interface SoapResponse {
  xml: string;
  /** Request sent to last response byte. */
  roundTripMs: number;
  /** Local clock when the request was sent (for round-trip-corrected clock offsets). */
  sentAtMs: number;
}

const MAX_RESPONSE_BYTES = 1_048_576;

/** WS-Security UsernameToken with PasswordDigest = Base64(SHA-1(nonce + created + password)), ONVIF Core 5.12. */
export function usernameTokenHeader(credentials: SoapCredentials, nowMs: number): string {
  const nonce = randomBytes(16);
  const created = new Date(nowMs + credentials.timeDiffMs).toISOString();
  const digest = createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(credentials.password, 'utf8')]))
    .digest('base64');
  return (
    '<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">' +
    `<wsse:UsernameToken><wsse:Username>${escapeXml(credentials.username)}</wsse:Username>` +
    `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

export function buildEnvelope(
  request: Pick<SoapRequest, 'body' | 'namespaces' | 'credentials'>,
  nowMs: number,
): string {
  const ns = Object.entries(request.namespaces ?? {})
    .map(([prefix, uri]) => ` xmlns:${prefix}="${uri}"`)
    .join('');
  const header = request.credentials ? usernameTokenHeader(request.credentials, nowMs) : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"${ns}>` +
    `<s:Header>${header}</s:Header><s:Body>${request.body}</s:Body></s:Envelope>`
  );
}

/** Turns a non-OK answer into a coded error. Real cameras report auth failures as 200 + fault, 400 or 401. */
export function classifySoapAnswer(
  status: number,
  xml: string,
  context: ErrorContext,
): AgentError | undefined {
  const fault = parseSoapFault(xml);
  if (fault) {
    const what = [fault.code, fault.subcode].filter(Boolean).join(' / ');
    const text = `SOAP fault ${what}${fault.reason ? `: ${fault.reason}` : ''} (HTTP ${status})`;
    return new AgentError(isAuthFault(fault) ? 'auth_failed' : 'onvif_error', text, context);
  }
  if (status === 401 || status === 403) {
    return new AgentError('auth_failed', `HTTP ${status}: credentials rejected`, context);
  }
  if (status >= 200 && status < 300) return undefined;
  // Unimplemented methods on cheap devices: HTTP 500 with a plain-text body.
  const snippet = xml.replace(/\s+/g, ' ').trim().slice(0, 120);
  return new AgentError('onvif_error', `HTTP ${status}${snippet ? `: ${snippet}` : ''}`, context);
}

/**
 * One SOAP 1.2 POST with its own deadline (node-onvif's timeout is global and per socket idle period).
 * Uses a fresh connection (`agent: false`) so a half-dead pooled socket never carries over between polls.
 */
export function postSoap(request: SoapRequest): Promise<SoapResponse> {
  const { context } = request;
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (error) {
      reject(new AgentError('onvif_error', `invalid ONVIF URL: ${errorMessage(error)}`, context));
      return;
    }
    const sentAtMs = request.now();
    const envelope = buildEnvelope(request, sentAtMs);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (error: AgentError | undefined, response?: SoapResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else if (response) resolve(response);
    };
    const req = send(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/soap+xml; charset=utf-8',
          'Content-Length': Buffer.byteLength(envelope),
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_RESPONSE_BYTES) {
            req.destroy();
            finish(
              new AgentError('onvif_error', `response larger than ${MAX_RESPONSE_BYTES} bytes`, context),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) =>
          finish(new AgentError('unreachable', `response broken: ${error.message}`, context)),
        );
        res.on('end', () => {
          const xml = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          const problem = classifySoapAnswer(status, xml, context);
          finish(problem, { xml, roundTripMs: request.now() - sentAtMs, sentAtMs });
        });
      },
    );
    const operation = context.operation ?? 'SOAP request';
    const timer = setTimeout(() => {
      finish(new AgentError('timeout', `${operation}: no answer within ${request.timeoutMs} ms`, context));
      req.destroy();
    }, request.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = isUnreachableCode(error.code) ? 'unreachable' : 'onvif_error';
      finish(
        new AgentError(code, `${error.code ?? 'network error'}: ${error.message}`, context, { cause: error }),
      );
    });
    req.end(envelope);
  });
}
