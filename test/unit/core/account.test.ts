import { beforeAll, describe, expect, it } from 'vitest';
import {
  IntegrityError,
  KDF_FLOOR,
  WeakKdfError,
  createAccount,
  derivePasswordKeys,
  initCrypto,
  newKdfParams,
  openAccount,
  openAccountWithRecovery,
  randomId,
  recoveryAuthKey,
  wrapMasterKey,
  type AccountBundle,
} from '@coffre/core/crypto';
import { FormatError, fromBase64Url, toBase64Url } from '@coffre/core/format';

beforeAll(initCrypto);

const key = (fill: number) => new Uint8Array(32).fill(fill);

function flipBit(text: string, byte: number): string {
  const bytes = fromBase64Url(text);
  bytes[byte % bytes.length]! ^= 1;
  return toBase64Url(bytes);
}

describe('account', () => {
  it('opens with the password key and with the recovery key, giving the same keys', () => {
    const userId = randomId();
    const created = createAccount(userId, key(1));
    const byPassword = openAccount(userId, key(1), created.bundle);
    const byRecovery = openAccountWithRecovery(userId, created.recoveryKey, created.bundle);
    expect(byPassword).toEqual(created.keys);
    expect(byRecovery).toEqual(created.keys);
    expect(recoveryAuthKey(created.recoveryKey)).toEqual(created.recoveryAuthKey);
  });

  it('keeps the master key across a password change', () => {
    const userId = randomId();
    const { keys, bundle } = createAccount(userId, key(1));
    const changed = { ...bundle, wrappedMasterKey: wrapMasterKey(userId, keys.masterKey, key(2)) };
    expect(openAccount(userId, key(2), changed).masterKey).toEqual(keys.masterKey);
    expect(() => openAccount(userId, key(1), changed)).toThrow(IntegrityError);
  });

  it('accepts the recovery key without dashes, with spaces, in lower case; refuses other text', () => {
    const userId = randomId();
    const { recoveryKey, recoveryAuthKey: auth, bundle } = createAccount(userId, key(1));
    expect(recoveryKey).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
    const compact = recoveryKey.replace(/-/g, '');
    expect(recoveryAuthKey(compact)).toEqual(auth);
    expect(recoveryAuthKey(recoveryKey.replace(/-/g, ' ').toLowerCase())).toEqual(auth);
    expect(() => recoveryAuthKey(compact.slice(1))).toThrow(FormatError);
    expect(() => recoveryAuthKey(compact.slice(1) + 'U')).toThrow(FormatError);
    expect(() => recoveryAuthKey(compact.slice(0, -1) + 'Z')).toThrow(FormatError); // bits past 256
    expect(() => openAccountWithRecovery(userId, compact + '!', bundle)).toThrow(FormatError);
  });

  it('fails on a wrong password key or another user id', () => {
    const userId = randomId();
    const { bundle } = createAccount(userId, key(1));
    expect(() => openAccount(userId, key(9), bundle)).toThrow(IntegrityError);
    expect(() => openAccount(randomId(), key(1), bundle)).toThrow(IntegrityError);
  });

  it('detects tampering with every field of the bundle', () => {
    const userId = randomId();
    const { bundle, recoveryKey } = createAccount(userId, key(1));
    const other = createAccount(userId, key(1)).bundle;
    // The password path never reads the recovery blob and the recovery path never reads the
    // password blob; everything else is checked on both.
    const openers = (field: keyof AccountBundle) =>
      [
        field !== 'wrappedMasterKeyRecovery' &&
          ((b: AccountBundle) => openAccount(userId, key(1), b)),
        field !== 'wrappedMasterKey' &&
          ((b: AccountBundle) => openAccountWithRecovery(userId, recoveryKey, b)),
      ].filter((f) => f !== false);
    for (const field of Object.keys(bundle) as (keyof AccountBundle)[]) {
      const flipped = {
        ...bundle,
        [field]: field === 'rootId' ? randomId() : flipBit(bundle[field], 20),
      };
      // A well-formed value from another account of the same user id does not fit either.
      const swapped = { ...bundle, [field]: other[field] };
      for (const open of openers(field)) {
        expect(() => open(flipped), field).toThrow(IntegrityError);
        if (!field.startsWith('wrappedMasterKey')) {
          expect(() => open(swapped), field).toThrow(IntegrityError);
        }
      }
    }
    expect(() => openAccount(userId, key(1), { ...bundle, wrappedRootKey: 'AA==' })).toThrow(
      IntegrityError,
    );
    expect(() => openAccount(userId, key(1), null as unknown as AccountBundle)).toThrow(
      IntegrityError,
    );
  });
});

describe('password hashing parameters', () => {
  it('defaults to the floor with a fresh 16-byte salt', () => {
    const params = newKdfParams();
    expect(params).toMatchObject(KDF_FLOOR);
    expect(fromBase64Url(params.salt)).toHaveLength(16);
    expect(newKdfParams().salt).not.toBe(params.salt);
  });

  it('refuses weak, unknown, oversized or malformed parameters before hashing', () => {
    const good = newKdfParams();
    const weak = [
      { ...good, opslimit: 2 },
      { ...good, memlimit: 64 * 1024 * 1024 - 1 },
      { ...good, alg: 'argon2i13' },
    ];
    for (const params of weak) {
      expect(() => derivePasswordKeys('pw', params as typeof good)).toThrow(WeakKdfError);
    }
    const malformed = [
      { ...good, opslimit: 11 },
      { ...good, memlimit: 2 * 1024 * 1024 * 1024 },
      { ...good, opslimit: 3.5 },
      { ...good, salt: toBase64Url(new Uint8Array(15)) },
      { ...good, salt: good.salt + '=' },
    ];
    for (const params of malformed) {
      expect(() => derivePasswordKeys('pw', params)).toThrow(FormatError);
    }
  });
});
