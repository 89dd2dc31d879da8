import pino, { type Logger } from 'pino';

/** JSON logs; secret-bearing fields are redacted wherever they appear. */
export function createLogger(level: string, name: string): Logger {
  return pino({
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
  });
}
