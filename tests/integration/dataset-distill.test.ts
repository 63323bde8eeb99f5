import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ExpRxRecExample } from '../../dataset/build.js';
import { distill, parseAnswer, parseTeacher, readReferences } from '../../dataset/distill.js';
import { renderModelfile } from '../../dataset/modelfile.js';
import { runExpRxRecEval } from '../../evals/exprxrec.js';
import { openEvalKb } from '../../evals/kb.js';
import { modelRecommender } from '../../evals/model-recommender.js';

const FIXTURES = process.env.KEDREC_FIXTURES_DIR ?? '../shared/fixtures/api';

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
    const teacher = parseTeacher('ollama:llama3.1:70b', { ollama: url });
    expect(teacher.model).toBe('llama3.1:70b');
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
    const kb = openEvalKb(inject('kbPath'), () => {});
    try {
      const model = modelRecommender(parseTeacher('ollama:kedrec-lm', { ollama: url }));
      const examples = [example('ex-right', ['DB00331']), example('ex-wrong', ['DB01076'])];
      const references = new Map([['ex-right', 'Metformin is first-line for type 2 diabetes [NCT00000001].']]);
      const [r] = await runExpRxRecEval({ graph: kb.graph, examples, variants: ['both'], recommenders: [model], references, concurrency: 2 });
      expect(r.recommender).toBe('model:kedrec-lm');
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
    const kb = openEvalKb(inject('kbPath'), () => {});
    try {
      const down = modelRecommender(parseTeacher('ollama:kedrec-lm', { ollama: 'http://127.0.0.1:1' }));
      await expect(runExpRxRecEval({ graph: kb.graph, examples: [example('e1', ['DB00331'])], variants: ['vanilla'], recommenders: [down] })).rejects.toThrow(/ollama:kedrec-lm failed on example e1 \(vanilla\)/);
    } finally {
      kb.close();
    }
  });

  it('rejects a malformed --model before doing any work', async () => {
    await expect(
      promisify(execFile)(process.execPath, ['bin/kedrec.mjs', 'eval', 'exprxrec', '--model', 'kedrec-lm', '--json'], { env: { ...process.env, KEDREC_KB_PATH: inject('kbPath') } }),
    ).rejects.toThrow(/--model must be "ollama:<model>" or "openai:<model>"/);
  }, 30_000);

  it('reports an unreachable teacher as failures, not as an empty success', async () => {
    const s = await distill({ teacher: parseTeacher('ollama:x', { ollama: 'http://127.0.0.1:1' }), examples: [example('e', ['DB00331'])], variants: ['vanilla'], out: path.join(dir, 'down.jsonl') });
    expect(s.failed).toBe(1);
    expect(s.errors[0]).toMatch(/e\/vanilla/);
  });

  it('parses selections by id or name and rejects bad teacher specs', () => {
    expect(parseAnswer('Selected: aspirin and DB00331.\nRationale: because.', example('e', [])).selected.sort()).toEqual(['DB00331', 'DB00945']);
    expect(() => parseTeacher('gpt4', { ollama: url })).toThrow(/provider:model|ollama:<model>/);
    expect(() => parseTeacher('openai:gpt-4o', { ollama: url })).toThrow(/KEDREC_OPENAI_BASE_URL/);
  });

  it('renders an Ollama Modelfile', () => {
    const m = renderModelfile({ from: './kedrec-lm.gguf', adapter: './lora' });
    expect(m).toMatch(/^FROM \.\/kedrec-lm\.gguf$/m);
    expect(m).toMatch(/^ADAPTER \.\/lora$/m);
    expect(m).toMatch(/^SYSTEM """You are KEDRec-LM/m);
    expect(m).toMatch(/^TEMPLATE """/m);
    expect(m).toMatch(/^PARAMETER temperature 0$/m);
  });
});
