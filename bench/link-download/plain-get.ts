// Runs inside the page (passed to page.evaluate): the same-run baseline for a link download.
// It GETs every chunk of the same file through the same link routes, with the same number of
// requests in flight, and only counts the bytes: no verification, no decryption, no disk.
export async function plainGet(args: {
  linkId: string;
  nodeId: string;
  chunkCount: number;
  inFlight: number;
}): Promise<{ ms: number; bytes: number }> {
  const url = (index: number) =>
    `/api/v1/links/${args.linkId}/files/${args.nodeId}/chunks/${index}`;
  const started = performance.now();
  // As in the app, chunk 0 comes first: its answer carries the grant the other chunks need.
  const first = await fetch(url(0), { cache: 'no-store' });
  if (!first.ok) throw new Error(`chunk 0: ${first.status}`);
  const headers = { 'coffre-download-grant': first.headers.get('coffre-download-grant') ?? '' };
  let bytes = (await first.arrayBuffer()).byteLength;
  let next = 1;
  const worker = async () => {
    while (next < args.chunkCount) {
      const index = next++;
      const res = await fetch(url(index), { cache: 'no-store', headers });
      if (!res.ok) throw new Error(`chunk ${index}: ${res.status}`);
      const received = (await res.arrayBuffer()).byteLength; // read before adding: workers race
      bytes += received;
    }
  };
  await Promise.all(Array.from({ length: args.inFlight }, worker));
  return { ms: performance.now() - started, bytes };
}
