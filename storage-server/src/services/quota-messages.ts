import type { ErrorDetails } from '@coffre/core/protocol';

// Decimal units, as storage is sold: 1 GB = 10^9 bytes.
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
 * Writes figures of one message in one unit, the quota's, so they compare at a glance: a whole
 * quota without decimals ("50 GB"), the rest with two ("1.20 GB").
 */
function figuresIn(quota: number) {
  const unit = UNITS.find((u) => quota >= u.size);
  return (bytes: number, exact = false): string => {
    if (!unit) return `${bytes} bytes`;
    const value = bytes / unit.size;
    const text = exact && Number.isInteger(value) ? String(value) : value.toFixed(2);
    return `${text} ${unit.name}`;
  };
}

/** One figure in its own unit: "50 GB", "1.20 GB", "512 bytes". */
export function formatBytes(bytes: number): string {
  return figuresIn(bytes)(bytes, true);
}

/** "1 December 2026", in UTC. */
export function formatDay(time: number): string {
  const date = new Date(time);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

export function storageRefusal(details: Required<Pick<ErrorDetails, 'needed'>> & ErrorDetails) {
  const figure = figuresIn(details.quota);
  const free = Math.max(0, details.quota - details.used);
  return (
    `Not enough storage: this upload needs ${figure(details.needed)} and ` +
    `${figure(free)} of your ${figure(details.quota, true)} are free.`
  );
}

export function transferRefusal(details: Required<Pick<ErrorDetails, 'resetsAt'>> & ErrorDetails) {
  const figure = figuresIn(details.quota);
  return (
    `Monthly transfer used up: ${figure(details.used, true)} of ${figure(details.quota, true)}. ` +
    `It resets on ${formatDay(details.resetsAt)}.`
  );
}
