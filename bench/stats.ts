/** Latency statistics over repeated calls; times in milliseconds. */
export interface LatencyStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN) };
}

/** Times `fn` once per input (after one warm-up pass over a few inputs) and summarises. */
export async function timeEach<T>(inputs: T[], fn: (x: T) => Promise<unknown> | unknown): Promise<LatencyStats> {
  for (const x of inputs.slice(0, 5)) await fn(x);
  const samples: number[] = [];
  for (const x of inputs) {
    const t0 = performance.now();
    await fn(x);
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
