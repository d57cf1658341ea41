/** Ids go to the database in batches of this many, well below any bound on query parameters. */
const BATCH = 500;

export function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}
