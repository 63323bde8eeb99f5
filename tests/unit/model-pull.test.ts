import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullHeaders, pullModel, resolvePullTarget } from '../../agent/model-pull.js';

/** `kedrec model pull`: request construction offline, and the download against a local stand-in for Hugging Face. */
describe('model pull: what is requested', () => {
  it('turns a known name, an hf: path or a URL into the download URL and file name', () => {
    expect(resolvePullTarget('gemma-3-270m')).toEqual({ url: 'https://huggingface.co/unsloth/gemma-3-270m-it-GGUF/resolve/main/gemma-3-270m-it-Q4_K_M.gguf', file: 'gemma-3-270m-it-Q4_K_M.gguf' });
    expect(resolvePullTarget('hf:bartowski/Qwen2.5-1.5B-Instruct-GGUF/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf@abc123', 'https://hf-mirror.example/')).toEqual({
      url: 'https://hf-mirror.example/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/abc123/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf',
      file: 'Qwen2.5-1.5B-Instruct-Q4_K_M.gguf',
    });
    expect(resolvePullTarget('https://example.org/models/x.gguf?download=1')).toEqual({ url: 'https://example.org/models/x.gguf?download=1', file: 'x.gguf' });
  });

  it('refuses anything else, listing the valid forms', () => {
    for (const bad of ['llama3', 'hf:owner/repo', 'http://example.org/x.gguf', 'hf:a/b/c.bin']) expect(() => resolvePullTarget(bad)).toThrow(/known name \(gemma-3-270m.*hf:<owner>\/<repo>\/<file\.gguf>/);
  });

  it('sends the token for gated repositories and a Range to resume', () => {
    expect(pullHeaders({})).toEqual({ 'user-agent': 'kedrec-model-pull' });
    expect(pullHeaders({ token: 'hf_x', resumeFrom: 100 })).toMatchObject({ authorization: 'Bearer hf_x', range: 'bytes=100-' });
  });
});

describe('model pull: the download', () => {
  const body = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(10_000, 7)]);
  const sha = createHash('sha256').update(body).digest('hex');
  const seen: { url: string; range?: string; auth?: string }[] = [];
  let server: http.Server;
  let base: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-pull-'));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', range: req.headers.range, auth: req.headers.authorization });
      if (req.url === '/gated.gguf') return void res.writeHead(401).end('unauthorized');
      if (req.url === '/page.gguf') return void res.writeHead(200, { 'content-length': '15' }).end('<html>oops</htm');
      if (req.url !== '/m.gguf') return void res.writeHead(404).end('not found');
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range) {
        const from = Number(range[1]);
        res.writeHead(206, { 'content-length': String(body.length - from), 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` }).end(body.subarray(from));
      } else res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads, checks the SHA-256 and lands by rename; a partial file is resumed from where it stopped', async () => {
    const target = { url: `${base}/m.gguf`, file: 'm.gguf' };
    fs.writeFileSync(path.join(dir, 'm.gguf.part'), body.subarray(0, 4000));
    const r = await pullModel({ target, dir, sha256: sha, token: 'hf_secret' });
    expect(r).toMatchObject({ path: path.join(dir, 'm.gguf'), bytes: body.length, sha256: sha });
    expect(seen.at(-1)).toMatchObject({ range: 'bytes=4000-', auth: 'Bearer hf_secret' });
    expect(fs.readFileSync(r.path).equals(body)).toBe(true);
    expect(fs.existsSync(`${r.path}.part`)).toBe(false);
  });

  it('a wrong checksum, a page that is not GGUF, a gated or missing file: a clear error and nothing saved', async () => {
    const d2 = path.join(dir, 'other');
    await expect(pullModel({ target: { url: `${base}/m.gguf`, file: 'bad.gguf' }, dir: d2, sha256: '0'.repeat(64) })).rejects.toThrow(/SHA-256 mismatch.*deleted/);
    await expect(pullModel({ target: { url: `${base}/page.gguf`, file: 'page.gguf' }, dir: d2 })).rejects.toThrow(/did not return a GGUF file/);
    await expect(pullModel({ target: { url: `${base}/gated.gguf`, file: 'g.gguf' }, dir: d2 })).rejects.toThrow(/gated or private.*HF_TOKEN/);
    await expect(pullModel({ target: { url: `${base}/none.gguf`, file: 'n.gguf' }, dir: d2 })).rejects.toThrow(/HTTP 404: no such file/);
    expect(fs.readdirSync(d2)).toEqual([]);
  });
});
