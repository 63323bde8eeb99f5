import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ExpRxRecExample } from '../../dataset/build.js';
import { chatModelForSpec, parseModelSpec, textModel, textModelFromSpec } from '../../agent/model-spec.js';
import { distill, instructionFor, KEDREC_LM_SYSTEM, parseAnswer, readReferences } from '../../dataset/distill.js';
import { validateSft } from '../../dataset/validate-sft.js';
import { renderModelfile, templateForArchitecture } from '../../dataset/modelfile.js';
import { runExpRxRecEval } from '../../evals/exprxrec.js';
import { openEvalKb } from '../../evals/kb.js';
import { modelRecommender } from '../../evals/model-recommender.js';
import { silentLogger } from '../../lib/log.js';
import { API_FIXTURES_DIR } from '../fixtures/api-fixtures.js';

const FIXTURES = API_FIXTURES_DIR;

const example = (id: string, targets: string[]): ExpRxRecExample => ({
  id,
  split: 'train',
  condition: { id: 'DOID:9352', kind: 'Disease', name: 'type 2 diabetes mellitus' },
  patient: 'A patient with type 2 diabetes mellitus (DOID:9352).',
  candidates: [
    { id: 'DB00331', kind: 'Compound', name: 'Metformin' },
    { id: 'DB01076', kind: 'Compound', name: 'Atorvastatin' },
    { id: 'DB00945', kind: 'Compound', name: 'Aspirin' },
  ],
  targets,
  hidden: [],
  negatives: [],
  background: { trials: [{ id: 'NCT00000001', text: 'Metformin in type 2 diabetes', source: 'hint', license: 'x' }], pubmed: [] },
});

/** A model spec served through the agent's own chat client, with the stand-in's (or no) Ollama URL. */
const served = (spec: string, ollama: string) => textModelFromSpec(spec, { OLLAMA_BASE_URL: ollama, KEDREC_MODEL_TIMEOUT_MS: 10_000 });

describe('teacher distillation against a stand-in Ollama server', () => {
  let server: http.Server;
  let url: string;
  const requests: { model: string; messages: { role: string; content: string }[] }[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kedrec-distill-'));
  beforeAll(async () => {
    // The real /api/chat response shape, with the content replaced by a teacher-style answer.
    const recorded = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ollama__chat-nonstream__foobara.json'), 'utf8')) as { message: { content: string } };
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const r = JSON.parse(body);
        requests.push(r);
        if (req.url !== '/api/chat') return void res.writeHead(404).end('not found');
        const content = 'Metformin (DB00331)\nRationale: Metformin is first-line for type 2 diabetes [NCT00000001].';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...recorded, model: r.model, message: { ...recorded.message, content } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps right selections as chat JSONL, rejects wrong ones, and resumes', async () => {
    const teacher = served('ollama:llama3.1:70b', url);
    expect(teacher.name).toBe('ollama:llama3.1:70b');
    const out = path.join(dir, 'train.jsonl');
    const examples = [example('ex-right', ['DB00331']), example('ex-wrong', ['DB01076'])];
    const s = await distill({ teacher, examples, variants: ['vanilla', 'both'], out, concurrency: 2 });
    expect(s).toMatchObject({ total: 4, kept: 2, rejected: 2, failed: 0 });
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['ex-right', 'ex-right']);
    expect(lines[0].messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(lines[0].messages[1].content).toMatch(/### Candidate drugs/);
    expect(requests[0].model).toBe('llama3.1:70b');
    const n = requests.length;
    const again = await distill({ teacher, examples, variants: ['vanilla', 'both'], out });
    expect(again).toMatchObject({ skipped: 4, kept: 0 });
    expect(requests.length).toBe(n);
    expect(readReferences(out).get('ex-right')).toMatch(/first-line/);
  });

  it('evaluates a served model as an expRxRec recommender: selection, ranking and ROUGE', async () => {
    const kb = openEvalKb(inject('kbPath'), silentLogger);
    try {
      const model = modelRecommender(served('ollama:kedrec-lm', url));
      const examples = [example('ex-right', ['DB00331']), example('ex-wrong', ['DB01076'])];
      const references = new Map([['ex-right', 'Metformin is first-line for type 2 diabetes [NCT00000001].']]);
      const [r] = await runExpRxRecEval({ graph: kb.graph, examples, variants: ['both'], recommenders: [model], references, concurrency: 2 });
      expect(r.recommender).toBe('model:ollama:kedrec-lm');
      // Both answers select metformin: one right, one wrong.
      expect(r.prf.micro).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5 });
      expect(r.hits.at1).toBe(0.5);
      expect(r.hits.at3).toBe(1);
      expect(r.rouge).toMatchObject({ rouge1: 1, rougeL: 1, n: 1 });
      // The model saw the served system prompt and the instruction with the example's background.
      const last = requests.at(-1)!;
      expect(last.model).toBe('kedrec-lm');
      expect(last.messages[0].content).toMatch(/You are KEDRec-LM/);
      expect(last.messages[1].content).toMatch(/NCT00000001/);
    } finally {
      kb.close();
    }
  });

  it('aborts a model evaluation on a failed call, naming the example, instead of scoring a miss', async () => {
    const kb = openEvalKb(inject('kbPath'), silentLogger);
    try {
      const down = modelRecommender(served('ollama:kedrec-lm', 'http://127.0.0.1:1'));
      await expect(runExpRxRecEval({ graph: kb.graph, examples: [example('e1', ['DB00331'])], variants: ['vanilla'], recommenders: [down] })).rejects.toThrow(/ollama:kedrec-lm failed on example e1 \(vanilla\)/);
    } finally {
      kb.close();
    }
  });

  it('rejects a malformed --model before doing any work', async () => {
    await expect(
      promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'eval', 'exprxrec', '--model', 'kedrec-lm', '--json'], { env: { ...process.env, KEDREC_KB_PATH: inject('kbPath') } }),
    ).rejects.toThrow(/--model must be "ollama:<model>".*"llama-cpp:<file.gguf>"/);
  }, 30_000);

  it('reports an unreachable teacher as failures, not as an empty success', async () => {
    const s = await distill({ teacher: served('ollama:x', 'http://127.0.0.1:1'), examples: [example('e', ['DB00331'])], variants: ['vanilla'], out: path.join(dir, 'down.jsonl') });
    expect(s.failed).toBe(1);
    expect(s.errors[0]).toMatch(/e\/vanilla/);
  });

  it('validates distilled records before training: served prompt, candidates only, a rationale, cited ids from the background', () => {
    const ex = example('ex-v', ['DB00331']);
    const rec = (assistant: string, over: Record<string, unknown> = {}) =>
      JSON.stringify({
        id: 'ex-v',
        variant: 'both',
        messages: [
          { role: 'system', content: KEDREC_LM_SYSTEM },
          { role: 'user', content: instructionFor(ex, 'both') },
          { role: 'assistant', content: assistant },
        ],
        ...over,
      });
    const file = path.join(dir, 'sft.jsonl');
    fs.writeFileSync(file, [
      rec('Metformin (DB00331)\nRationale: first-line [NCT00000001].'),
      rec('Metformin (DB00331)\nRationale: first-line [NCT00000001].'),
      rec('Insulin\nRationale: because.', { variant: 'vanilla' }),
      rec('Metformin (DB00331)\nRationale: see [NCT99999999] and PMID 123.', { variant: 'trials' }),
      rec('Metformin (DB00331)', { variant: 'pubmed' }),
      JSON.stringify({ id: 'ex-v', variant: 'both', messages: [{ role: 'user', content: 'x' }] }).replace('"both"', '"nope"'),
      '{torn',
      rec('Metformin', { id: 'unknown' }),
    ].join('\n'));
    const r = validateSft(file, new Map([['ex-v', ex]]));
    expect(r).toMatchObject({ records: 8, valid: 1 });
    const byLine = Object.fromEntries(r.problems.map((p) => [p.line, p.problem]));
    expect(byLine[2]).toMatch(/duplicate/);
    expect(byLine[3]).toMatch(/selects none of the candidates/);
    expect(byLine[4]).toMatch(/cites ids its background did not give: PMID:123, NCT99999999/);
    expect(byLine[5]).toMatch(/no rationale/);
    expect(byLine[6]).toMatch(/"variant" must be one of/);
    expect(byLine[7]).toBe('not JSON');
    expect(byLine[8]).toMatch(/no such example/);
  });

  it('parses selections by id or name and rejects bad teacher specs', () => {
    expect(parseAnswer('Selected: aspirin and DB00331.\nRationale: because.', example('e', [])).selected.sort()).toEqual(['DB00331', 'DB00945']);
    expect(() => parseModelSpec('gpt4')).toThrow(/ollama:<model>/);
    expect(() => parseModelSpec('llama-cpp:')).toThrow(/llama-cpp:<file.gguf>/);
    expect(parseModelSpec('openai:gpt-4o')).toEqual({ provider: 'openai-compatible', model: 'gpt-4o' });
    expect(parseModelSpec('ollama:llama3.1:70b')).toEqual({ provider: 'ollama', model: 'llama3.1:70b' });
    expect(() => chatModelForSpec(parseModelSpec('openai-compatible:gpt-4o'), { OLLAMA_BASE_URL: url })).toThrow(/KEDREC_OPENAI_BASE_URL/);
    expect(() => served('llama-cpp:/nonexistent/model.gguf', url)).toThrow(/no such file/);
    expect(() => textModel({ model: null, provider: 'none', probe: async () => ({ ok: false }) }, 'none')).toThrow(/no model configured/);
  });

  it('renders an Ollama Modelfile: the weights\' own chat template by default, Llama 3\'s on request', () => {
    const m = renderModelfile({ from: './kedrec-lm.gguf', adapter: './lora' });
    expect(m).toMatch(/^FROM \.\/kedrec-lm\.gguf$/m);
    expect(m).toMatch(/^ADAPTER \.\/lora$/m);
    expect(m).toMatch(/^SYSTEM """You are KEDRec-LM/m);
    expect(m).toMatch(/^PARAMETER temperature 0$/m);
    // A Gemma (or any non-Llama) GGUF carries its template; writing Llama 3's over it would break it.
    expect(m).not.toMatch(/^TEMPLATE|<\|eot_id\|>/m);
    const llama = renderModelfile({ from: './kedrec-lm.gguf', template: 'llama3' });
    expect(llama).toMatch(/^TEMPLATE """/m);
    expect(llama).toMatch(/^PARAMETER stop "<\|eot_id\|>"$/m);
    const gemma = renderModelfile({ from: './g.gguf', template: 'gemma3' });
    expect(gemma).toContain('<start_of_turn>model');
    expect(gemma).toMatch(/^PARAMETER stop "<end_of_turn>"$/m);
    expect(gemma).not.toContain('<|eot_id|>');
    expect(renderModelfile({ from: './q.gguf', template: 'chatml' })).toMatch(/^PARAMETER stop "<\|im_end\|>"$/m);
    expect(['gemma3', 'qwen2', 'llama', 'phi3'].map(templateForArchitecture)).toEqual(['gemma3', 'chatml', 'llama3', undefined]);
  });
});
