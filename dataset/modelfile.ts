import { KEDREC_LM_SYSTEM } from './distill.js';

/**
 * An Ollama Modelfile for a fine-tuned KEDRec-LM: the weights (a GGUF file or a base model plus
 * an adapter), the system prompt the model was tuned with and decoding parameters. The chat
 * template is the model's own by default: Ollama reads it from the GGUF's metadata (or inherits
 * it from a base model), and a fixed template would be wrong for every other family (a Gemma
 * fine-tune served with Llama 3's template answers garbage). A GGUF without one (the PyPI Gemma
 * 3 270M has none) gets its family's, written out: `templateForGguf` picks it from the file.
 * `ollama create kedrec-lm -f Modelfile` then serves it under the name the agent uses.
 */
export interface ModelfileOptions {
  /** FROM: a GGUF path or an Ollama base model ("llama3.1:8b"). */
  from: string;
  /** ADAPTER: a LoRA adapter (safetensors dir or GGUF) trained on the distilled data. */
  adapter?: string;
  temperature?: number;
  numCtx?: number;
  /** "model" (default): the weights' own chat template; otherwise that family's, written out. */
  template?: ModelfileTemplate;
}

export const MODELFILE_TEMPLATES = ['model', 'llama3', 'gemma3', 'chatml'] as const;
export type ModelfileTemplate = (typeof MODELFILE_TEMPLATES)[number];

/** Llama 3's turns (the base the paper's KEDRec-LM is tuned from). */
const LLAMA3_TEMPLATE = `{{ if .System }}<|start_header_id|>system<|end_header_id|>

{{ .System }}<|eot_id|>{{ end }}{{ range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

`;

/** Gemma 3's turns (Ollama's gemma3 template): the system message folds into the first user turn. */
const GEMMA3_TEMPLATE = `{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if or (eq .Role "user") (eq .Role "system") }}<start_of_turn>user
{{ .Content }}<end_of_turn>
{{ if $last }}<start_of_turn>model
{{ end }}
{{- else if eq .Role "assistant" }}<start_of_turn>model
{{ .Content }}{{ if not $last }}<end_of_turn>
{{ end }}
{{- end }}
{{- end }}`;

/** ChatML (Qwen 2/2.5 and others). */
const CHATML_TEMPLATE = `{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{- range .Messages }}{{- if ne .Role "system" }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}{{- end }}<|im_start|>assistant
`;

const TEMPLATES: Record<Exclude<ModelfileTemplate, 'model'>, { text: string; stops: string[] }> = {
  llama3: { text: LLAMA3_TEMPLATE, stops: ['<|eot_id|>', '<|start_header_id|>'] },
  gemma3: { text: GEMMA3_TEMPLATE, stops: ['<end_of_turn>'] },
  chatml: { text: CHATML_TEMPLATE, stops: ['<|im_end|>', '<|im_start|>'] },
};

/** The family template for a GGUF's architecture, for a file that carries no chat template of its own. */
export function templateForArchitecture(architecture: string): Exclude<ModelfileTemplate, 'model'> | undefined {
  if (/^gemma/.test(architecture)) return 'gemma3';
  if (/^qwen/.test(architecture)) return 'chatml';
  if (/^llama/.test(architecture)) return 'llama3';
  return undefined;
}

/**
 * Which template a Modelfile over this GGUF needs: "model" when the file carries its own chat
 * template, otherwise its family's. A file with neither is refused, naming the choices.
 */
export async function templateForGguf(file: string): Promise<{ template: ModelfileTemplate; why: string }> {
  const { readGgufFileInfo } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(file, { readTensorInfo: false });
  const architecture = String(info.metadata.general.architecture);
  if (typeof (info.metadata.tokenizer as { chat_template?: unknown } | undefined)?.chat_template === 'string') return { template: 'model', why: `${file} carries its own chat template` };
  const family = templateForArchitecture(architecture);
  if (!family) throw new Error(`${file} (architecture ${architecture}) carries no chat template, and none is known for its family: pass --template ${MODELFILE_TEMPLATES.filter((t) => t !== 'model').join('|')}`);
  return { template: family, why: `${file} carries no chat template; using ${family}'s for its architecture (${architecture})` };
}

/** Renders the Modelfile text. */
export function renderModelfile(o: ModelfileOptions): string {
  if (!o.from.trim()) throw new Error('a Modelfile needs FROM: a GGUF file or a base model name');
  const family = o.template && o.template !== 'model' ? TEMPLATES[o.template] : undefined;
  const q = (s: string) => `"""${s.replace(/"""/g, '\\"\\"\\"')}"""`;
  return [
    '# KEDRec-LM: explainable drug recommendation (created by `kedrec export modelfile`)',
    '# Serve with: ollama create kedrec-lm -f Modelfile',
    `FROM ${o.from}`,
    ...(o.adapter ? [`ADAPTER ${o.adapter}`] : []),
    ...(family ? [`TEMPLATE ${q(family.text)}`] : []),
    `SYSTEM ${q(KEDREC_LM_SYSTEM)}`,
    `PARAMETER temperature ${o.temperature ?? 0}`,
    `PARAMETER num_ctx ${o.numCtx ?? 8192}`,
    ...(family ? family.stops.map((t) => `PARAMETER stop "${t}"`) : []),
    '',
  ].join('\n');
}
