import { describe, expect, it } from 'vitest';
import {
  EnvReader,
  logSettings,
  metricsListener,
  NON_NEGATIVE,
  PORT,
  redisSettings,
} from '@coffre/server-kit';

const reader = (env: Record<string, string>) => new EnvReader(env);

describe('settings from the environment', () => {
  it('takes the default when a variable is unset or empty', () => {
    const read = reader({ EMPTY: '' });
    expect(read.integer('UNSET', 7, PORT)).toBe(7);
    expect(read.integer('EMPTY', 7, PORT)).toBe(7);
    expect(read.text('EMPTY', 'fallback')).toBe('fallback');
    expect(read.flag('EMPTY')).toBe(false);
    expect(read.list('EMPTY')).toEqual([]);
  });

  it('refuses a number outside its bounds, naming the variable, the range and the value', () => {
    const bounds = { min: 2, max: 64 };
    expect(reader({ N: '2' }).integer('N', 8, bounds)).toBe(2);
    expect(reader({ N: '64' }).integer('N', 8, bounds)).toBe(64);
    expect(() => reader({ N: '1' }).integer('N', 8, bounds)).toThrow(
      'N must be a whole number from 2 to 64, got "1"',
    );
    expect(() => reader({ N: '65' }).integer('N', 8, bounds)).toThrow(
      'N must be a whole number from 2 to 64, got "65"',
    );
    expect(() => reader({ PORT: '70000' }).integer('PORT', 80, PORT)).toThrow(
      'PORT must be a whole number from 0 to 65535, got "70000"',
    );
  });

  it('reads decimal digits only: no sign, exponent, fraction or spaces', () => {
    for (const raw of ['-1', '1e3', '2.5', ' 5', '0x10', 'lots', '99999999999999999999']) {
      expect(() => reader({ N: raw }).integer('N', 0, NON_NEGATIVE), raw).toThrow(
        `N must be a whole number of at least 0, got "${raw}"`,
      );
    }
  });

  it('reads a flag as 1/true or 0/false and refuses anything else', () => {
    expect(reader({ F: '1' }).flag('F')).toBe(true);
    expect(reader({ F: 'true' }).flag('F')).toBe(true);
    expect(reader({ F: '0' }).flag('F', true)).toBe(false);
    expect(reader({ F: 'false' }).flag('F', true)).toBe(false);
    expect(() => reader({ F: 'yes' }).flag('F')).toThrow(
      'F must be "1", "true", "0" or "false", got "yes"',
    );
  });

  it('reads a choice among named values and a comma-separated list', () => {
    expect(reader({ C: 's3' }).choice('C', ['disk', 's3'], 'disk')).toBe('s3');
    expect(() => reader({ C: 'tape' }).choice('C', ['disk', 's3'], 'disk')).toThrow(
      'C must be "disk" or "s3", got "tape"',
    );
    expect(reader({ L: ' a, b ,,c ' }).list('L')).toEqual(['a', 'b', 'c']);
  });

  it('serves metrics only when a port is named, never on an ephemeral one', () => {
    expect(metricsListener(reader({}), 'MP', 'MH')).toBeNull();
    expect(metricsListener(reader({ MP: '9100' }), 'MP', 'MH')).toEqual({
      port: 9100,
      host: '127.0.0.1',
    });
    expect(metricsListener(reader({ MP: '9100', MH: '10.0.0.2' }), 'MP', 'MH')?.host).toBe(
      '10.0.0.2',
    );
    expect(() => metricsListener(reader({ MP: '0' }), 'MP', 'MH')).toThrow(/MP must be/);
  });

  it('shares Redis under one pair of names, an empty key prefix included', () => {
    expect(redisSettings(reader({}))).toBeNull();
    expect(redisSettings(reader({ COFFRE_REDIS_URL: 'redis://10.0.0.9:6379/2' }))).toEqual({
      url: 'redis://10.0.0.9:6379/2',
      prefix: 'coffre:',
    });
    expect(
      redisSettings(reader({ COFFRE_REDIS_URL: 'redis://r', COFFRE_REDIS_PREFIX: '' }))?.prefix,
    ).toBe('');
  });
});

describe('log output', () => {
  it('is pretty for a person at a terminal, JSON for a pipe or in production', () => {
    expect(logSettings(reader({}), true)).toEqual({ level: 'info', format: 'pretty' });
    expect(logSettings(reader({}), false).format).toBe('json');
    expect(logSettings(reader({ NODE_ENV: 'production' }), true).format).toBe('json');
  });

  it('is what COFFRE_LOG_FORMAT asks for, whatever the terminal', () => {
    expect(logSettings(reader({ COFFRE_LOG_FORMAT: 'json' }), true).format).toBe('json');
    expect(logSettings(reader({ COFFRE_LOG_FORMAT: 'pretty' }), false).format).toBe('pretty');
    expect(() => logSettings(reader({ COFFRE_LOG_FORMAT: 'xml' }), true)).toThrow(
      /COFFRE_LOG_FORMAT must be "json" or "pretty"/,
    );
    expect(() => logSettings(reader({ COFFRE_LOG_LEVEL: 'loud' }), true)).toThrow(
      /COFFRE_LOG_LEVEL must be/,
    );
  });
});
