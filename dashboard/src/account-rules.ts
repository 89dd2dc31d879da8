// Copies of the hub's limits (src/schemas/auth-api.ts), checked against the schema by a unit test: the
// dashboard imports types only, so TypeBox stays out of the bundle.
export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._@-]{0,99}$';
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 200;

const usernameRegExp = new RegExp(USERNAME_PATTERN);

/** Why a new user name would be refused, or null. */
export function usernameProblem(username: string): string | null {
  if (username === '') return 'Enter a user name.';
  if (!usernameRegExp.test(username))
    return 'A user name is 1 to 100 lowercase letters, digits and . _ @ -, starting with a letter or digit.';
  return null;
}

/**
 * Why a chosen password would be refused, checked before it is sent: the length limits and the user
 * name (as the hub checks it, ignoring case). The hub has the last word (it also wants varied
 * characters). `whose` words it for the user's own password or for somebody else's.
 */
export function passwordRuleProblem(
  username: string,
  password: string,
  whose: 'your' | 'the',
): string | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH)
    return `The password may have at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password.toLowerCase().includes(username.toLowerCase()))
    return `The password must not contain ${whose} user name.`;
  return null;
}

export interface PasswordProblem {
  /** The field to correct: the new password, or its confirmation. */
  field: 'new' | 'confirm';
  message: string;
}

/** The user's own new password, typed twice. */
export function newPasswordProblem(
  username: string,
  password: string,
  confirmation: string,
): PasswordProblem | null {
  const problem = passwordRuleProblem(username, password, 'your');
  if (problem) return { field: 'new', message: problem };
  if (password !== confirmation) return { field: 'confirm', message: 'The two new passwords differ.' };
  return null;
}
