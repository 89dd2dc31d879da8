import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * MQTT passwords are stored in Mosquitto 2's own password-file hash, `$7$<iterations>$<salt>$<hash>`
 * (PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte key, both base64), so the hub can write a Mosquitto
 * password file from what it stores without ever keeping a password. Site passwords are 256 random
 * bits, so the iteration count adds nothing against guessing; it is kept low because Mosquitto
 * verifies on its single thread at every CONNECT.
 */
const ITERATIONS = 1000;
const SALT_BYTES = 12;
const KEY_BYTES = 64;
const FORMAT = /^\$7\$(\d{1,7})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, iterations: number, keyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, keyBytes, 'sha512', (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** A high-entropy password for a site (URL-safe, no characters a config file or shell would mangle). */
export function generateMqttPassword(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashMqttPassword(password: string, iterations = ITERATIONS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, iterations, KEY_BYTES);
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function isMqttPasswordHash(stored: string): boolean {
  return FORMAT.test(stored);
}

export async function verifyMqttPassword(password: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored);
  if (!match) return false;
  const iterations = Number(match[1]);
  const salt = Buffer.from(match[2] as string, 'base64');
  const expected = Buffer.from(match[3] as string, 'base64');
  if (iterations < 1 || expected.length === 0) return false;
  const actual = await derive(password, salt, iterations, expected.length);
  return timingSafeEqual(actual, expected);
}
