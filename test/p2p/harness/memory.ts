/** Samples the page's JS heap (Chromium's performance.memory) until stopped; returns the peak. */
export function trackMemory(): { stop(): number } {
  const heap = () =>
    (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;
  let peak = heap();
  const timer = setInterval(() => (peak = Math.max(peak, heap())), 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, heap());
    },
  };
}
