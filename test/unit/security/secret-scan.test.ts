import { describe, expect, it } from 'vitest';
import { scanText } from '../../support/secret-scan.ts';

describe('log secret scan', () => {
  it.each([
    [
      'JWT bearer token',
      '{"msg":"auth","header":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcCJ9.sig-abc_def"}',
    ],
    ['password in a URL', '{"msg":"probe","uri":"rtsp://admin:hunter2@10.0.0.5:554/stream1"}'],
    ['password in a URL', '{"url":"mqtts://site-a:S3cr3t!@hub.example:8883"}'],
    ['token signing secret of the tests', 'secret=test-secret-not-for-production'],
    ['camera password of the test sites', 'tried Pw-site-1-a-Zq81x'],
    ['demo camera password', '{"password":"x","note":"sim-penzance-12"}'],
    ['password field with a value', '{"user":"op","password":"demo"}'],
  ])('flags a %s', (rule, line) => {
    expect(scanText('f', line).map((f) => f.rule)).toContain(rule);
  });

  it.each([
    '{"msg":"login","username":"op","role":"operator"}',
    '{"uri":"rtsp://10.0.0.5:554/stream1"}',
    '{"uri":"rtsp://***@10.0.0.5:554/stream1"}',
    '{"password":"[redacted]"}',
    '{"password":"***"}',
    '{"msg":"site sim-penzance-12-a is up"}',
  ])('leaves a clean line alone: %s', (line) => {
    expect(scanText('f', line)).toEqual([]);
  });

  it('masks the secret in the excerpt it reports', () => {
    const [finding] = scanText('hub.ndjson', 'x rtsp://admin:hunter2@cam/1 y');
    expect(finding?.excerpt).not.toContain('hunter2');
    expect(finding?.line).toBe(1);
  });
});
