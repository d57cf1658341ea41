import { Type, type Static } from 'typebox';
import { MAX_LIST_NODES } from '../format';
import { ByteCount, Id } from './common';

/** Plan ids: short, lower case, safe in a URL, a log line and a shell command. */
export const PLAN_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

export const PlanId = Type.String({ pattern: PLAN_ID_PATTERN.source, minLength: 1, maxLength: 32 });

/** A plan as configured in `config/plans.json`; quotas in bytes (decimal: 1 GB = 10^9). */
export const Plan = Type.Object(
  {
    id: PlanId,
    name: Type.String({ minLength: 1, maxLength: 64 }),
    storageQuota: ByteCount,
    /** Chunk bytes that may be served from the account's files per calendar month (UTC). */
    transferQuota: ByteCount,
  },
  { additionalProperties: false },
);
export type Plan = Static<typeof Plan>;

/** `GET /plans`, and the shape of `config/plans.json`. */
export const PlanCatalog = Type.Object(
  {
    /** The plan of new accounts, and of any account whose plan is no longer offered. */
    default: PlanId,
    plans: Type.Array(Plan, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type PlanCatalog = Static<typeof PlanCatalog>;

/** The plan an account is on, as `usage.plan`. */
export const PlanRef = Type.Object({ id: PlanId, name: Type.String({ maxLength: 64 }) });
export type PlanRef = Static<typeof PlanRef>;

/** `GET /account/usage`: where the stored bytes are. */
export const UsageBreakdown = Type.Object({
  /** Each folder directly in the root with the committed bytes of its subtree outside the bin. */
  folders: Type.Array(Type.Object({ nodeId: Id, bytes: ByteCount }), { maxItems: MAX_LIST_NODES }),
  /** Files directly in the root, outside the bin. */
  files: ByteCount,
  /** Everything in the bin: it counts until purged. */
  trash: ByteCount,
  /** Reservations of open uploads. */
  uploading: ByteCount,
});
export type UsageBreakdown = Static<typeof UsageBreakdown>;
