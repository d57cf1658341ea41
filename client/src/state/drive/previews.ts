import { MAX_PREVIEW_BYTES } from '@coffre/core/format';
import type { DriveNode } from '../../services';

// Which decrypted files the link page may show in place. Images, video and audio are rendered
// from a blob: URL typed with one of these MIME types only; SVG and HTML are never among them,
// because a blob: document opened in its own tab would run with this origin. Text is shown as
// text, whatever it contains.
export type PreviewKind = 'image' | 'video' | 'audio' | 'text';

const MEDIA: Record<string, Exclude<PreviewKind, 'text'>> = {
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/gif': 'image',
  'image/webp': 'image',
  'image/avif': 'image',
  'image/bmp': 'image',
  'video/mp4': 'video',
  'video/webm': 'video',
  'video/ogg': 'video',
  'audio/mpeg': 'audio',
  'audio/mp4': 'audio',
  'audio/ogg': 'audio',
  'audio/wav': 'audio',
  'audio/webm': 'audio',
  'audio/flac': 'audio',
  'audio/aac': 'audio',
};

// For uploads whose browser recorded no MIME type.
const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  txt: 'text/plain',
  md: 'text/plain',
  csv: 'text/plain',
  json: 'text/plain',
  log: 'text/plain',
};

function mimeOf(node: DriveNode): string {
  const recorded = (node.mime ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (recorded !== '' && recorded !== 'application/octet-stream') return recorded;
  const extension = node.name.includes('.') ? (node.name.split('.').at(-1) ?? '') : '';
  return BY_EXTENSION[extension.toLowerCase()] ?? '';
}

export interface PreviewType {
  kind: PreviewKind;
  /** The type given to the blob: URL (media only). */
  mime: string;
}

/** Null when the file cannot be previewed (folder, unknown or unsafe type, too large). */
export function previewType(node: DriveNode): PreviewType | null {
  if (node.type !== 'file' || node.size === null || node.size > MAX_PREVIEW_BYTES) return null;
  const mime = mimeOf(node);
  const media = MEDIA[mime];
  if (media) return { kind: media, mime };
  if (mime.startsWith('text/') || mime === 'application/json') {
    return { kind: 'text', mime: 'text/plain' };
  }
  return null;
}
