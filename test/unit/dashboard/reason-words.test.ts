import { describe, expect, it } from 'vitest';
import { reasonsLine, reasonWords } from '../../../dashboard/src/reason-words.ts';

describe('reasons in words', () => {
  it('says what is wrong first and keeps the socket error as detail', () => {
    expect(
      reasonWords({ code: 'unreachable', message: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:37897' }),
    ).toEqual({
      summary: 'Not answering on the network',
      detail: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:37897 (unreachable)',
    });
    expect(
      reasonWords({ code: 'timeout', message: 'GetSystemDateAndTime: no answer within 5000 ms' }).summary,
    ).toBe('No answer in time');
  });

  it('shows messages already written for people as they are', () => {
    const reason = { code: 'clock_offset' as const, message: 'clock offset +10 s exceeds 5 s (fail limit)' };
    expect(reasonWords(reason)).toEqual({ summary: reason.message, detail: null });
  });

  it('gives a table cell the words, and its tooltip the technical text', () => {
    const line = reasonsLine([
      {
        code: 'stream_error',
        message: 'rtsp://127.0.0.1:8554/cam/x/main: Invalid data found when processing input',
      },
      { code: 'low_fps', message: 'frame rate 4 fps is below 6 fps' },
    ]);
    expect(line.text).toBe('Its stream could not be read; frame rate 4 fps is below 6 fps');
    expect(line.text).not.toMatch(/rtsp:|127\.0\.0\.1/);
    expect(line.title).toContain('Invalid data found when processing input (stream_error)');
  });
});
