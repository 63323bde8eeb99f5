import { KEDREC_LM_SYSTEM } from './distill.js';

/**
 * An Ollama Modelfile for a fine-tuned KEDRec-LM: the weights (a GGUF file or a base model plus
 * an adapter), the chat template, the system prompt the model was tuned with and decoding
 * parameters. `ollama create kedrec-lm -f Modelfile` then serves it under the name the agent uses.
 */
export interface ModelfileOptions {
  /** FROM: a GGUF path or an Ollama base model ("llama3.1:8b"). */
  from: string;
  /** ADAPTER: a LoRA adapter (safetensors dir or GGUF) trained on the distilled data. */
  adapter?: string;
  temperature?: number;
  numCtx?: number;
}

/** Llama 3 chat template (the base KEDRec-LM fine-tunes ship with); stop tokens match it. */
const LLAMA3_TEMPLATE = `{{ if .System }}<|start_header_id|>system<|end_header_id|>

{{ .System }}<|eot_id|>{{ end }}{{ range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

`;

/** Renders the Modelfile text. */
export function renderModelfile(o: ModelfileOptions): string {
  if (!o.from.trim()) throw new Error('a Modelfile needs FROM: a GGUF file or a base model name');
  const q = (s: string) => `"""${s.replace(/"""/g, '\\"\\"\\"')}"""`;
  return [
    '# KEDRec-LM: explainable drug recommendation (created by `kedrec export modelfile`)',
    '# Serve with: ollama create kedrec-lm -f Modelfile',
    `FROM ${o.from}`,
    ...(o.adapter ? [`ADAPTER ${o.adapter}`] : []),
    `TEMPLATE ${q(LLAMA3_TEMPLATE)}`,
    `SYSTEM ${q(KEDREC_LM_SYSTEM)}`,
    `PARAMETER temperature ${o.temperature ?? 0}`,
    `PARAMETER num_ctx ${o.numCtx ?? 8192}`,
    'PARAMETER stop "<|eot_id|>"',
    'PARAMETER stop "<|start_header_id|>"',
    '',
  ].join('\n');
}
