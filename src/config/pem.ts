import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';

/** What is wrong with a PEM text, phrased to follow its file name ("<file> is not PEM ..."). */
export class PemError extends Error {
  readonly code = 'PEM_INVALID';
}

interface PemBlock {
  label: string;
  pem: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1] as string, pem: m[0] }));
}

function found(blocks: readonly PemBlock[]): string {
  return [...new Set(blocks.map((b) => b.label))].join(', ');
}

/** Every certificate of a PEM text (a chain or a CA bundle), in file order. */
export function parseCertificates(text: string): X509Certificate[] {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) throw new PemError('is not PEM (no -----BEGIN CERTIFICATE----- block)');
  const certificates = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certificates.length === 0) throw new PemError(`holds no certificate (found ${found(blocks)})`);
  return certificates.map((b, i) => {
    try {
      return new X509Certificate(b.pem);
    } catch (error) {
      throw new PemError(
        `holds a certificate (number ${i + 1}) that cannot be read: ${(error as Error).message}`,
      );
    }
  });
}

/** The one unencrypted private key of a PEM text (PKCS#8, PKCS#1 or SEC 1). */
export function parsePrivateKey(text: string): KeyObject {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) throw new PemError('is not PEM (no -----BEGIN PRIVATE KEY----- block)');
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keys.length === 0) throw new PemError(`holds no private key (found ${found(blocks)})`);
  if (keys.length > 1) throw new PemError('holds more than one private key');
  const key = keys[0] as PemBlock;
  // A service cannot type a passphrase at start-up.
  if (key.label === 'ENCRYPTED PRIVATE KEY' || key.pem.includes('Proc-Type: 4,ENCRYPTED'))
    throw new PemError('holds an encrypted private key: give it unencrypted, readable by this service only');
  try {
    return createPrivateKey(key.pem);
  } catch (error) {
    throw new PemError(`holds a private key that cannot be read: ${(error as Error).message}`);
  }
}

/** URL schemes over TLS, where a CA file applies. */
export function isTlsUrl(url: string): boolean {
  return /^(mqtts|wss):\/\//i.test(url);
}
