import type { IconName } from '../components/Icon.svelte';
import type { DriveNode } from '../../state/app/types';

const BY_EXTENSION: Record<string, IconName> = {
  zip: 'archive',
  gz: 'archive',
  tgz: 'archive',
  '7z': 'archive',
  rar: 'archive',
  tar: 'archive',
  pdf: 'text',
  doc: 'text',
  docx: 'text',
  odt: 'text',
  txt: 'text',
  md: 'text',
  csv: 'text',
};

/** Picks the row icon from the MIME type the uploader recorded, else from the extension. */
export function iconFor(node: DriveNode): IconName {
  if (node.type === 'folder') return 'folder';
  const mime = node.mime ?? '';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('text/') || mime === 'application/pdf') return 'text';
  const extension = node.name.includes('.') ? (node.name.split('.').at(-1) ?? '') : '';
  return BY_EXTENSION[extension.toLowerCase()] ?? 'file';
}

const KIND_LABELS: Partial<Record<IconName, string>> = {
  folder: 'Folder',
  image: 'Image',
  video: 'Video',
  audio: 'Audio',
  text: 'Document',
  archive: 'Archive',
};

/** A word for screen readers, where the icon alone says nothing. */
export function kindLabel(node: DriveNode): string {
  return KIND_LABELS[iconFor(node)] ?? 'File';
}
