// Runs inside the page (passed to page.evaluate): the same-run baseline for a link download.
// It GETs every chunk of the same file through the same link routes, with the same number of
// requests in flight, and only counts the bytes: no verification, no decryption, no disk.
export async function plainGet(args: {
  linkId: string;
  nodeId: string;
  chunkCount: number;
  inFlight: number;
}): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < args.chunkCount) {
      const index = next++;
      const res = await fetch(`/api/v1/links/${args.linkId}/files/${args.nodeId}/chunks/${index}`, {
        cache: 'no-store',
      });
      if (!res.ok) throw new Error(`chunk ${index}: ${res.status}`);
      bytes += (await res.arrayBuffer()).byteLength;
    }
  };
  await Promise.all(Array.from({ length: args.inFlight }, worker));
  return { ms: performance.now() - started, bytes };
}
