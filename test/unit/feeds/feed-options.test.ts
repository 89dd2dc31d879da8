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
});
