import { readFileSync } from 'node:fs';
import { domainToASCII, domainToUnicode } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  EmailError,
  MAX_EMAIL_LENGTH,
  normaliseEmail,
  type EmailRefusal,
} from '@coffre/core/format';
import { emailVectorsText, makeEmailVectors, type EmailVectors } from './emails-vectors';

// The email rule against its vectors (protocol.md §3, "Email addresses"). The client and the
// server both run this one function, so these pin both sides; the integration tests run it
// through a real server.

const text = readFileSync(new URL('./emails.json', import.meta.url), 'utf8');
const vectors = JSON.parse(text) as EmailVectors;

function refusal(input: string): EmailRefusal | null {
  try {
    normaliseEmail(input);
    return null;
  } catch (error) {
    if (error instanceof EmailError) return error.reason;
    throw error;
  }
}

describe('email vectors', () => {
  it('are the file emails-generate.ts writes, with nothing beyond ASCII in it unescaped', () => {
    expect(text).toBe(emailVectorsText(makeEmailVectors()));
    expect(text).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it.each(vectors.accepted.map((v) => [v.name, v] as const))('accepts %s', (_, vector) => {
    expect(normaliseEmail(vector.input)).toBe(vector.normal);
    // A normal form is its own normal form: the server, given the client's, stores the same.
    expect(normaliseEmail(vector.normal)).toBe(vector.normal);
  });

  it.each(vectors.refused.map((v) => [v.name, v] as const))('refuses %s', (_, vector) => {
    expect(refusal(vector.input)).toBe(vector.reason);
  });

  it('cover every refusal, and the limit from both sides', () => {
    const reasons = new Set(vectors.refused.map((v) => v.reason));
    expect([...reasons].sort()).toEqual([
      'invisible',
      'mixed-script',
      'not-an-address',
      'too-long',
    ]);
    const longest = vectors.accepted.map((v) => [...v.normal].length);
    expect(Math.max(...longest)).toBe(MAX_EMAIL_LENGTH);
  });
});

describe('the email rule', () => {
  it('decodes Punycode labels as an independent IDNA implementation does (node:url)', () => {
    const labels = [
      'пример',
      'рф',
      'bücher',
      'δοκιμή',
      'испытание',
      'münchen',
      '例え',
      'テスト',
      '실험',
      'परीक्षा',
      'مثال',
      'ตัวอย่าง',
      'טעסט',
    ];
    for (const label of labels) {
      const ascii = domainToASCII(label);
      expect(ascii.startsWith('xn--')).toBe(true);
      expect(domainToUnicode(ascii)).toBe(label);
      expect(normaliseEmail(`someone@${ascii}.org`)).toBe(`someone@${label}.org`);
    }
  });

  it('is its own fixed point, and keeps nothing invisible, for every character of the BMP', () => {
    const invisible = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
    for (let code = 0; code <= 0xffff; code++) {
      const input = `a${String.fromCharCode(code)}b@example.org`;
      if (refusal(input) !== null) continue;
      const normal = normaliseEmail(input);
      if (normaliseEmail(normal) !== normal || invisible.test(normal)) {
        expect.fail(`U+${code.toString(16)}: ${JSON.stringify(normal)}`);
      }
    }
  });
});
