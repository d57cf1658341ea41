// Runs inside the page (passed to page.evaluate): the same-run baseline for the encrypted upload.
// It sends the file's own bytes, unencrypted, through the same upload API with the same chunk
// size and the same number of chunks in flight as the app, hashing each with WebCrypto (the
// protocol needs a chunk id) and padding each chunk to the ciphertext's length. What the app does on top of this is the cost of encryption.
export async function plainPut(args: {
  token: string;
  rootId: string;
  inputSelector: string;
  nodeId: string;
  wrappedKey: string;
  encMeta: string;
  chunkSize: number;
  overhead: number;
  inFlight: number;
}): Promise<number> {
  const input = document.querySelector<HTMLInputElement>(args.inputSelector)!;
  const file = input.files![0]!;
  const count = Math.max(1, Math.ceil(file.size / args.chunkSize));
  const auth = { authorization: `Bearer ${args.token}` };
  const b64url = (bytes: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '');

  const started = performance.now();
  const created = await fetch('/api/v1/uploads', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      nodeId: args.nodeId,
      parentId: args.rootId,
      wrappedKey: args.wrappedKey,
      encMeta: args.encMeta,
      revision: 1,
      wrappedContentKey: args.wrappedKey,
      size: file.size + count * args.overhead,
      chunkCount: count,
    }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const { uploadId } = (await created.json()) as { uploadId: string };

  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const slice = file.slice(index * args.chunkSize, (index + 1) * args.chunkSize);
      // The server expects exactly the ciphertext's length: the plaintext plus the format's
      // per-chunk overhead, sent here as zero bytes (0.001% of a chunk).
      const bytes = new Uint8Array(slice.size + args.overhead);
      bytes.set(new Uint8Array(await slice.arrayBuffer()));
      ids[index] = b64url(await crypto.subtle.digest('SHA-256', bytes));
      const put = await fetch(`/api/v1/uploads/${uploadId}/chunks/${index}`, {
        method: 'PUT',
        headers: {
          ...auth,
          'content-type': 'application/octet-stream',
          'coffre-chunk-sha256': ids[index]!,
        },
        body: new Blob([bytes]),
      });
      if (!put.ok) throw new Error(`chunk ${index}: ${put.status}`);
    }
  };
  await Promise.all(Array.from({ length: args.inFlight }, worker));
  const commit = await fetch(`/api/v1/uploads/${uploadId}/commit`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: args.encMeta, chunks: ids }),
  });
  if (commit.status !== 201) throw new Error(`commit: ${commit.status} ${await commit.text()}`);
  return performance.now() - started;
}
