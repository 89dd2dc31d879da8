import { describe, expect, it } from 'vitest';
import { digestAuthorization, parseChallenge } from '../../../edge-agent/src/image/snapshot.ts';

describe('HTTP Digest for snapshots', () => {
  it('matches the RFC 2617 section 3.5 example', () => {
    const { scheme, params } = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(scheme).toBe('digest');
    const header = digestAuthorization(
      params,
      'GET',
      '/dir/index.html',
      'Mufasa',
      'Circle Of Life',
      '0a4f113b',
    );
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(header).toContain('qop=auth');
  });

  it('uses the RFC 2069 form when the server offers no qop', () => {
    const { params } = parseChallenge('Digest realm="r", nonce="n"');
    expect(digestAuthorization(params, 'GET', '/snap.jpg', 'u', 'p', 'c')).not.toContain('qop=');
  });
});
