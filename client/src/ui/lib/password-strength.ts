import { MIN_PASSWORD_LENGTH } from '@coffre/core/format';

// A rough guide, not a guarantee: length counts most, mixing kinds of characters helps a little.

export type Strength = { level: 0 | 1 | 2 | 3; label: string };

export function passwordStrength(password: string): Strength {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return { level: 0, label: `Too short — use at least ${MIN_PASSWORD_LENGTH} characters` };
  }
  // A passphrase of several words is strong whatever characters it uses.
  if (password.length >= 20) return { level: 3, label: 'Strong' };
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password));
  const score = (password.length >= 12 ? 1 : 0) + (password.length >= 16 ? 1 : 0) + kinds.length;
  if (score >= 5) return { level: 3, label: 'Strong' };
  if (score >= 3) return { level: 2, label: 'Fair — a longer passphrase would be stronger' };
  return { level: 1, label: 'Weak — try a few unrelated words' };
}
