import type { Message } from '../../state/app/messages';
import type { SharedLink } from '../../state/app/types';
import { formatDate, formatFullDate } from './format';

// The expiry and download-limit fields of the Share and Edit dialogs, read into the values the
// services take. Dates chosen on the calendar end at midnight, local time.
export type ExpiryChoice = 'keep' | 'never' | '1' | '7' | '30' | 'date';

export const EXPIRY_CHOICES: { value: Exclude<ExpiryChoice, 'keep'>; label: string }[] = [
  { value: 'never', label: 'Never' },
  { value: '1', label: '1 day' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: 'date', label: 'On a date…' },
];

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_DOWNLOAD_LIMIT = 1_000_000;

type Read<T> = { ok: true; value: T } | { ok: false; error: Message };

/** `keep` stands for the link's current expiry and reads as undefined (no change). */
export function readExpiry(
  choice: ExpiryChoice,
  date: string,
  now = Date.now(),
): Read<number | null | undefined> {
  switch (choice) {
    case 'keep':
      return { ok: true, value: undefined };
    case 'never':
      return { ok: true, value: null };
    case 'date': {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
      if (!match) return { ok: false, error: { key: 'links.expiry-missing' } };
      const end = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + 1).getTime();
      if (!(end > now)) return { ok: false, error: { key: 'links.expiry-past' } };
      return { ok: true, value: end };
    }
    default:
      return { ok: true, value: now + Number(choice) * DAY_MS };
  }
}

export function readDownloadLimit(text: string): Read<number | null> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: null };
  const limit = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || limit < 1 || limit > MAX_DOWNLOAD_LIMIT) {
    return { ok: false, error: { key: 'links.limit-invalid' } };
  }
  return { ok: true, value: limit };
}

/** Today as the date field's value, for its `min`. */
export function todayValue(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function expiryText(link: Pick<SharedLink, 'expiresAt'>, now = Date.now()): string {
  if (link.expiresAt === null) return 'Never';
  if (link.expiresAt <= now) return 'Expired';
  return formatDate(link.expiresAt);
}

export function expiryTitle(link: Pick<SharedLink, 'expiresAt'>): string | undefined {
  return link.expiresAt === null ? undefined : formatFullDate(link.expiresAt);
}

export function downloadsText(link: Pick<SharedLink, 'downloads' | 'downloadLimit'>): string {
  return link.downloadLimit === null
    ? String(link.downloads)
    : `${link.downloads} / ${link.downloadLimit}`;
}

/** One line under the link: what protects it and when it stops working. */
export function linkSummary(link: SharedLink): string {
  return [
    link.hasPassword ? 'Password protected' : 'No password',
    link.expiresAt === null ? 'never expires' : `expires ${formatFullDate(link.expiresAt)}`,
    link.downloadLimit === null
      ? 'no download limit'
      : `${link.downloads} of ${link.downloadLimit} downloads used`,
  ].join(' · ');
}
