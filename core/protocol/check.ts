import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Returns `value` typed by `schema`, or throws ProtocolError naming the first mismatch. The client
 * runs every server answer through this before using it. `Value` works without `eval`, so this
 * runs under the app's strict CSP.
 */
export function check<T extends TSchema>(schema: T, value: unknown): Static<T> {
  if (Value.Check(schema, value)) return value as Static<T>;
  const first = Value.Errors(schema, value)[0];
  const where = first?.instancePath || '(root)';
  throw new ProtocolError(`unexpected response: ${where} ${first?.message ?? 'is invalid'}`);
}

/** True when `value` matches `schema`. */
export function matches<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return Value.Check(schema, value);
}
