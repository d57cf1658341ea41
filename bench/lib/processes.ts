import { readdirSync, readFileSync } from 'node:fs';

// Memory readings straight from /proc (Linux): the figures a benchmark prints are the kernel's,
// not a runtime's own estimate.

/** Resident set size of one process in bytes, or 0 if it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: read after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Pids of Chromium renderer processes started by the browser whose command line holds `marker`. */
export function rendererPids(marker: string): number[] {
  const pids = allPids();
  const roots = new Set(pids.filter((pid) => commandLine(pid).includes(marker)));
  const isDescendant = (pid: number): boolean => {
    for (let p = parentOf(pid), hops = 0; p > 1 && hops < 16; p = parentOf(p), hops++) {
      if (roots.has(p)) return true;
    }
    return false;
  };
  return pids.filter((pid) => commandLine(pid).includes('--type=renderer') && isDescendant(pid));
}

/** Samples a memory figure every `everyMs` until stopped; returns the peak seen. */
export function samplePeak(read: () => number, everyMs = 100) {
  let peak = read();
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, everyMs);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(peak, read());
    },
  };
}
