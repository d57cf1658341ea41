// The largest answer a schema admits, in bytes of JSON without insignificant whitespace
// (protocol.md §3, "Answer sizes"). The client reads no more than this of any JSON answer, so a
// server cannot make a tab allocate for a body its shape check would refuse anyway (R17): each
// route's cap follows from the limits its schema already carries.
import type { TSchema } from 'typebox';

/** The parts of JSON Schema that the protocol's answers use. */
interface Schema {
  const?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
  type?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
}

/**
 * A pattern made only of bracket classes over `A-Z`, `a-z`, `0-9`, `_` and `-` (ids, chunk ids,
 * sealed blobs in base64url, plan ids): JSON writes each of its characters as one byte.
 */
const ONE_BYTE_PATTERN = /^\^(?:\[(?:A-Z|a-z|0-9|[A-Za-z0-9_])+-?\](?:\{\d+(?:,\d+)?\}|[*+])?)+\$$/;
/** Any other character may be written as a six-byte `\uXXXX` escape. */
const MAX_CHAR_BYTES = 6;

const encoder = new TextEncoder();
const known = new WeakMap<TSchema, number>();

/** The cap for answers of this schema; throws for a schema that leaves a string, number or list unbounded. */
export function largestAnswer(schema: TSchema): number {
  let bytes = known.get(schema);
  if (bytes === undefined) {
    bytes = largest(schema as Schema, '(root)');
    known.set(schema, bytes);
  }
  return bytes;
}

function largest(schema: Schema, where: string): number {
  if ('const' in schema) return jsonBytes(schema.const);
  if (schema.enum) return Math.max(...schema.enum.map(jsonBytes));
  if (schema.anyOf) return Math.max(...schema.anyOf.map((member) => largest(member, where)));
  switch (schema.type) {
    case 'null':
      return 4;
    case 'boolean':
      return 5;
    case 'integer':
      return Math.max(digits(schema.minimum, where), digits(schema.maximum, where));
    case 'string': {
      const perChar = ONE_BYTE_PATTERN.test(schema.pattern ?? '') ? 1 : MAX_CHAR_BYTES;
      return 2 + bound(schema.maxLength, where) * perChar;
    }
    case 'array': {
      const items = bound(schema.maxItems, where);
      const item = largest(schema.items ?? {}, `${where}[]`);
      return 2 + items * item + Math.max(0, items - 1);
    }
    case 'object': {
      const members = Object.entries(schema.properties ?? {});
      // Every optional member counted as present; members the schema does not name, not at all.
      const sum = members.reduce(
        (total, [key, value]) => total + jsonBytes(key) + 1 + largest(value, `${where}.${key}`),
        0,
      );
      return 2 + sum + Math.max(0, members.length - 1);
    }
  }
  throw new Error(`answer schema has no size bound at ${where}`);
}

function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/** Characters of an integer bound, its sign included. */
function digits(limit: number | undefined, where: string): number {
  return String(bound(limit === undefined ? undefined : Math.trunc(limit), where)).length;
}

function bound(limit: number | undefined, where: string): number {
  if (limit === undefined || !Number.isSafeInteger(limit)) {
    throw new Error(`answer schema has no size bound at ${where}`);
  }
  return limit;
}
