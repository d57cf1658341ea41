import { FormatError } from './errors';

export const FORMAT_VERSION = 1;

/**
 * Every purpose has a fixed number of fields (format.md §1, §4.2), so with `|` banned inside
 * fields the AD string `coffre|1|purpose|f1|…|fn` has exactly one reading.
 */
export const AD_FIELD_COUNTS = {
  'master-key': 1, // userId
  'master-key-recovery': 1, // userId
  'sign-secret-key': 1, // userId
  'box-secret-key': 1, // userId
  'root-key': 2, // userId, rootNodeId
  'node-key': 4, // nodeId, parentId, type, keyVersion
  'node-meta': 3, // nodeId, parentId, type
  'content-key': 2, // nodeId, revision
  manifest: 2, // nodeId, revision
  'manifest-signature': 0, // the signed message is this AD, '|', then the manifest body
  commit: 2, // nodeId, revision
  chunk: 5, // nodeId, revision, index, count, final
  'link-key': 3, // linkId, nodeId, type
  'link-owner-key': 2, // userId, linkId
  'link-password': 0, // the hashed message is this AD, '|', then the Argon2id output
  // Peer-to-peer (§13): the last four are messages of a hash, followed by '|' and bytes.
  'p2p-signal': 4, // roomId, from role, to role, counter
  'p2p-offer': 1, // roomId
  'p2p-pairing-room': 1, // nameplate
  'p2p-cpace': 1, // roomId; then '|' and the pairing code
  'p2p-pairing-key': 1, // roomId; then '|', the sender's and the receiver's shares
  'p2p-link-key': 1, // roomId; then '|', the sender's and the receiver's nonces
} as const;

export type AdPurpose = keyof typeof AD_FIELD_COUNTS;
export type AdField = string | number;

const encoder = new TextEncoder();

function fieldText(field: AdField): string {
  if (typeof field === 'number') {
    if (!Number.isSafeInteger(field) || field < 0) {
      throw new FormatError('numeric AD fields must be non-negative integers');
    }
    return String(field);
  }
  if (typeof field !== 'string' || field.length === 0 || field.includes('|')) {
    throw new FormatError('AD fields must be non-empty and must not contain "|"');
  }
  return field;
}

export function associatedDataText(purpose: AdPurpose, ...fields: AdField[]): string {
  const expected = AD_FIELD_COUNTS[purpose];
  if (expected === undefined) throw new FormatError(`unknown AD purpose "${String(purpose)}"`);
  if (fields.length !== expected) {
    throw new FormatError(`AD purpose "${purpose}" takes ${expected} fields, got ${fields.length}`);
  }
  return ['coffre', String(FORMAT_VERSION), purpose, ...fields.map(fieldText)].join('|');
}

/** UTF-8 bytes of `coffre|<version>|<purpose>|<field 1>|…|<field n>`. */
export function associatedData(purpose: AdPurpose, ...fields: AdField[]): Uint8Array {
  return encoder.encode(associatedDataText(purpose, ...fields));
}
