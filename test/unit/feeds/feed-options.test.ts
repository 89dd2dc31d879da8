import { describe, expect, it } from 'vitest';
import { FEED_PROTOCOLS, feedInputOptions } from '../../../hub-server/src/feeds/feed-manager.ts';

describe('feed input options', () => {
  it("give the RTSP socket the feed's own start timeout, in microseconds", () => {
    const options = feedInputOptions('-timeout', 10_000);
    expect(options).toEqual([
      '-protocol_whitelist',
      FEED_PROTOCOLS,
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '10000000',
    ]);
    expect(feedInputOptions('-stimeout', 15_000).slice(-2)).toEqual(['-stimeout', '15000000']);
  });

  it('read SRT with its own protocol only, as a caller, and pass the passphrase as an option', () => {
    const options = feedInputOptions('-timeout', 10_000, 'srt:', {
      username: '',
      password: 'a-passphrase-1',
    });
    expect(options).toEqual([
      '-protocol_whitelist',
      'srt',
      '-mode',
      'caller',
      '-connect_timeout',
      '10000',
      '-timeout',
      '10000000',
      '-passphrase',
      'a-passphrase-1',
    ]);
    expect(feedInputOptions('-timeout', 10_000, 'srt:', null)).not.toContain('-passphrase');
  });
});
