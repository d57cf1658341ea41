// Files dropped from the desktop arrive as FileSystemEntry trees. A dropped File's
// webkitRelativePath is empty and read-only, so each file travels with the folder path it was
// found in, and empty folders are kept so the drive mirrors what was dropped.

export interface DroppedFile {
  file: File;
  /** Folder names from the drop target down to the file's folder; empty for top-level files. */
  folders: string[];
}

export interface DroppedTree {
  /** Every dropped folder (including empty ones) as its chain of names, parents first. */
  folders: string[][];
  files: DroppedFile[];
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

function readFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

// readEntries hands out a directory in batches (about 100 in Chromium) until it returns none.
async function readAllEntries(directory: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = directory.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, folders: string[], tree: DroppedTree): Promise<void> {
  if (isFile(entry)) {
    tree.files.push({ file: await readFile(entry), folders });
  } else if (isDirectory(entry)) {
    const path = [...folders, entry.name];
    tree.folders.push(path);
    for (const child of await readAllEntries(entry)) await walk(child, path, tree);
  }
}

/** Entries must be taken from the DataTransfer during the drop event; walking may come later. */
export async function readDroppedEntries(entries: FileSystemEntry[]): Promise<DroppedTree> {
  const tree: DroppedTree = { folders: [], files: [] };
  for (const entry of entries) await walk(entry, [], tree);
  return tree;
}

/**
 * Creates the dropped folders under `parentId`, parents first, and groups the files by the id of
 * the folder they go into. `createFolder` returns the new folder's id.
 */
export async function placeDroppedTree(
  tree: DroppedTree,
  parentId: string,
  createFolder: (parentId: string, name: string) => Promise<string>,
): Promise<Map<string, File[]>> {
  const ids = new Map<string, string>([['', parentId]]);
  for (const chain of tree.folders) {
    const parent = ids.get(chain.slice(0, -1).join('/'));
    const name = chain.at(-1);
    if (parent !== undefined && name !== undefined) {
      ids.set(chain.join('/'), await createFolder(parent, name));
    }
  }
  const byFolder = new Map<string, File[]>();
  for (const { file, folders } of tree.files) {
    const folderId = ids.get(folders.join('/')) ?? parentId;
    byFolder.set(folderId, [...(byFolder.get(folderId) ?? []), file]);
  }
  return byFolder;
}
