import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far (logs). */
  stderr: () => string;
  /** Peak resident set size of the process (VmHWM, Linux), in MB; NaN elsewhere. */
  peakRssMb: () => number;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * Spawns `node bin/kedrec.mjs start` on a free port with the given environment and waits for
 * /healthz. Rejects with the process's stderr when it exits first or is not up within `timeoutMs`.
 */
export async function startServerProcess(env: Record<string, string>, opts: { timeoutMs?: number; port?: number } = {}): Promise<ServerProcess> {
  // The port is free when chosen but another process may take it before the server binds: retry then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, opts.port ?? (await freePort()), opts.timeoutMs);
    } catch (err) {
      if (attempt >= 3 || opts.port || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

/**
 * The environment of a `kedrec` child process: this process's own, passed through so the child reads
 * its configuration (in its config.ts) as a user's shell would give it, with `overrides` on top. This
 * is the one read of process.env outside config.ts, and it reads no setting: it only hands them on.
 */
export function childProcessEnv(overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, ...overrides };
}

async function startOnce(env: Record<string, string>, port: number, timeoutMs?: number): Promise<ServerProcess> {
  const opts = { timeoutMs };
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/kedrec.mjs'), 'start'], {
    cwd: repoRoot,
    env: childProcessEnv({ LOG_LEVEL: 'warn', KEDREC_LIVE: 'false', ...env, HOST: '127.0.0.1', PORT: String(port) }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let up = false;
  while (!up) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kedrec start exited (${child.exitCode ?? child.signalCode}) before serving:\n${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`kedrec start did not answer /healthz within ${opts.timeoutMs ?? 30_000} ms:\n${err}`);
    }
    up = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  // Someone else may have answered on that port: ours must still be running a moment later.
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kedrec start exited (${child.exitCode ?? child.signalCode}) after start-up:\n${err}`);
  return {
    url,
    port,
    child,
    stderr: () => err,
    peakRssMb: () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
      } catch {
        return NaN;
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
