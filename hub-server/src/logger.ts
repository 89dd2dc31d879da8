import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Secret-bearing fields are redacted wherever they appear. JSON lines unless a destination is given
 * (main passes pino-pretty on a terminal: see src/logging.ts).
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
