// The figures of a quota refusal, written once: the storage server puts them in its error's
// message and the client's catalogue in its own sentence, so a refusal reads the same whichever
// side words it. Decimal units, as storage is sold: 1 GB = 10^9 bytes.

const UNITS = [
  { name: 'TB', size: 1e12 },
  { name: 'GB', size: 1e9 },
  { name: 'MB', size: 1e6 },
  { name: 'kB', size: 1e3 },
] as const;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Figures of one sentence in one unit, the quota's, so they compare at a glance: a whole quota
 * without decimals ("50 GB"), the rest with two ("1.20 GB").
 */
export function figuresIn(quota: number): (bytes: number, exact?: boolean) => string {
  const unit = UNITS.find((u) => quota >= u.size);
  return (bytes, exact = false) => {
    if (!unit) return `${bytes} bytes`;
    const value = bytes / unit.size;
    const text = exact && Number.isInteger(value) ? String(value) : value.toFixed(2);
    return `${text} ${unit.name}`;
  };
}

/** "1 December 2026": the transfer month turns over at midnight UTC. */
export function quotaDay(time: number): string {
  const date = new Date(time);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}
