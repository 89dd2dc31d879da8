import { describe, expect, it } from 'vitest';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  newPasswordProblem,
  passwordRuleProblem,
  USERNAME_PATTERN,
  usernameProblem,
} from '../../../dashboard/src/account-rules.ts';
import { ApiRequestError, hubMessage } from '../../../dashboard/src/api.ts';
import { expiryOf } from '../../../dashboard/src/api-key-admin.ts';
import { loginErrorText } from '../../../dashboard/src/login.ts';
import { passwordProblem } from '../../../hub-server/src/http/common.ts';
import * as schema from '../../../src/schemas/auth-api.ts';

describe('account rules in the dashboard', () => {
  it("copies the hub's limits from the schema", () => {
    expect(USERNAME_PATTERN).toBe(schema.Username.pattern);
    expect(MIN_PASSWORD_LENGTH).toBe(schema.MIN_PASSWORD_LENGTH);
    expect(MIN_PASSWORD_LENGTH).toBe(schema.NewPassword.minLength);
    expect(MAX_PASSWORD_LENGTH).toBe(schema.NewPassword.maxLength);
  });

  it.each([
    ['alice', null],
    ['j.smith@penzance-tc', null],
    ['', 'Enter a user name.'],
    [
      'Alice',
      'A user name is 1 to 100 lowercase letters, digits and . _ @ -, starting with a letter or digit.',
    ],
    [
      '-alice',
      'A user name is 1 to 100 lowercase letters, digits and . _ @ -, starting with a letter or digit.',
    ],
    [
      'al ice',
      'A user name is 1 to 100 lowercase letters, digits and . _ @ -, starting with a letter or digit.',
    ],
    [
      'a'.repeat(101),
      'A user name is 1 to 100 lowercase letters, digits and . _ @ -, starting with a letter or digit.',
    ],
  ])('user name %j: %s', (name, expected) => {
    expect(usernameProblem(name)).toBe(expected);
  });

  it.each([
    ['Granite-Harbour-2031', 'Granite-Harbour-2031', null],
    ['Short-pw-1', 'Short-pw-1', { field: 'new', message: 'The password needs at least 12 characters.' }],
    [
      'x'.repeat(201),
      'x'.repeat(201),
      { field: 'new', message: 'The password may have at most 200 characters.' },
    ],
    [
      'My-ALICE-password',
      'My-ALICE-password',
      { field: 'new', message: 'The password must not contain your user name.' },
    ],
    [
      'Granite-Harbour-2031',
      'Granite-Harbour-2032',
      { field: 'confirm', message: 'The two new passwords differ.' },
    ],
    // The hub alone checks for varied characters.
    ['aaaaaaaaaaaaabab', 'aaaaaaaaaaaaabab', null],
  ])('new password %j (again %j): %j', (password, again, expected) => {
    expect(newPasswordProblem('alice', password, again)).toEqual(expected);
  });

  it('never refuses a password the hub accepts, and refuses every short one or one with the name', () => {
    const candidates = [
      'Granite-Harbour-2031',
      'short',
      'elevenchars',
      'twelve-chars',
      'has-alice-inside',
      'HAS-ALICE-INSIDE',
      'aaaaaaaaaaaaaaaa',
      'x'.repeat(200),
    ];
    for (const password of candidates) {
      const hub = passwordProblem(password, 'alice');
      const client = passwordRuleProblem('alice', password, 'the');
      if (hub === null) expect(client, password).toBeNull();
      if (hub?.includes('at least 12 characters') || hub?.includes('user name'))
        expect(client, password).not.toBeNull();
    }
  });

  it.each([
    [
      new ApiRequestError(401, 'BAD_CREDENTIALS', 'wrong user name or password'),
      'Wrong username or password.',
    ],
    [
      new ApiRequestError(
        429,
        'LOGIN_RATE_LIMITED',
        'too many login attempts for this user name from this address: at most 10 per 15 min; retry in 14 min',
      ),
      'Too many login attempts for this user name from this address: at most 10 per 15 min; retry in 14 min.',
    ],
    [
      new ApiRequestError(0, 'NETWORK', 'Cannot reach the hub (Failed to fetch)'),
      'Login failed: Cannot reach the hub (Failed to fetch).',
    ],
  ])('login refusal %#: %s', (error, expected) => {
    expect(loginErrorText(error)).toBe(expected);
  });

  it("shows the hub's message as a sentence", () => {
    expect(hubMessage(new Error('user bob already exists'))).toBe('User bob already exists.');
    expect(hubMessage(new Error('Done.'))).toBe('Done.');
  });

  it('lets an API key expire at the end of the chosen day, in the browser’s zone', () => {
    const iso = expiryOf('2031-03-05');
    expect(iso).not.toBeNull();
    const at = new Date(iso!);
    expect([at.getFullYear(), at.getMonth() + 1, at.getDate(), at.getHours(), at.getMinutes()]).toEqual([
      2031, 3, 5, 23, 59,
    ]);
    expect(expiryOf('')).toBeNull();
  });
});
