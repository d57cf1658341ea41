/** Where a server reads its settings: `process.env`, or a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The whole numbers a setting accepts, both ends included. */
export interface Bounds {
  readonly min: number;
  readonly max: number;
}

/** A TCP port to listen on; 0 lets the system choose. */
export const PORT: Bounds = { min: 0, max: 65535 };

/** Milliseconds a Node timer waits: a longer delay overflows and fires at once. */
export const TIMER_MS: Bounds = { min: 0, max: 2 ** 31 - 1 };

/** A count or a duration that is compared, never waited on. */
export const NON_NEGATIVE: Bounds = { min: 0, max: Number.MAX_SAFE_INTEGER };

/** The one shape of a refused setting: the variable, what it must be, and what it was. */
export function invalidSetting(name: string, expected: string, raw: string): Error {
  return new Error(`${name} must be ${expected}, got "${raw}"`);
}

function quoted(choices: readonly string[]): string {
  const all = choices.map((choice) => `"${choice}"`);
  return all.length === 1 ? all[0]! : `${all.slice(0, -1).join(', ')} or ${all.at(-1)!}`;
}

/**
 * Reads settings from the environment. An unset or empty variable means the default; anything
 * else is parsed strictly and refused at start with the variable's name, so a typo stops the
 * server instead of running it on a value nobody chose.
 */
export class EnvReader {
  constructor(private readonly env: Env) {}

  /** The value as written; undefined when unset or empty. */
  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  text(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** Like `text`, but a variable set empty stays empty (a key prefix, for one). */
  verbatim(name: string, fallback: string): string {
    return this.env[name] ?? fallback;
  }

  /** Decimal digits only (no sign, exponent or fraction), within `bounds`. */
  integer(name: string, fallback: number, bounds: Bounds): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
      const range =
        bounds.max === NON_NEGATIVE.max
          ? `a whole number of at least ${bounds.min}`
          : `a whole number from ${bounds.min} to ${bounds.max}`;
      throw invalidSetting(name, range, raw);
    }
    return value;
  }

  /** `1` or `true`, `0` or `false`. */
  flag(name: string, fallback = false): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (raw === '1' || raw === 'true') return true;
    if (raw === '0' || raw === 'false') return false;
    throw invalidSetting(name, quoted(['1', 'true', '0', 'false']), raw);
  }

  choice<const T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!(choices as readonly string[]).includes(raw)) {
      throw invalidSetting(name, quoted(choices), raw);
    }
    return raw as T;
  }

  /** Comma-separated, each item trimmed, empty items dropped. */
  list(name: string): string[] {
    return (this.raw(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
}

/** Shared short-lived state for several processes; both servers read it under the same names. */
export interface RedisSettings {
  url: string;
  /** Put before every key, so several deployments can share one Redis. */
  prefix: string;
}

/** `COFFRE_REDIS_URL` (as ioredis takes it) and `COFFRE_REDIS_PREFIX`; null: no Redis. */
export function redisSettings(read: EnvReader): RedisSettings | null {
  const url = read.raw('COFFRE_REDIS_URL');
  return url ? { url, prefix: read.verbatim('COFFRE_REDIS_PREFIX', 'coffre:') } : null;
}
