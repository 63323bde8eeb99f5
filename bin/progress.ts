import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../kb/base/build-context.js';

/**
 * Progress reporting for long jobs, on stderr (stdout may belong to MCP stdio or --json output):
 * a live bar on a terminal, one line per finished step otherwise (CI logs, pipes).
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): { onProgress: (e: ProgressEvent) => void; stop: () => void } {
  const started = new Map<string, number>();
  if (!stream.isTTY) {
    return {
      onProgress(e) {
        let t0 = started.get(e.step);
        if (t0 === undefined) {
          t0 = performance.now();
          started.set(e.step, t0);
        }
        if (e.finished) stream.write(`  ✓ ${e.title} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: ' {bar} {percentage}% | {title}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let current = '';
  return {
    onProgress(e) {
      if (e.step !== current) {
        if (current) bar.stop();
        current = e.step;
        started.set(e.step, performance.now());
        bar.start(Math.max(e.total, 1), 0, { title: e.title });
      }
      bar.setTotal(Math.max(e.total, 1));
      bar.update(e.finished ? Math.max(e.total, 1) : e.done, { title: e.title });
    },
    stop() {
      if (current) bar.stop();
    },
  };
}
