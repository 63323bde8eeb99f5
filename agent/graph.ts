import { randomUUID } from 'node:crypto';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { CallbackManager } from '@langchain/core/callbacks/manager';
import { EmbeddedLlamaCpp, type EmbeddedCallOptions } from './llama-cpp-model.js';
import { SELECTION_CUT_OFF, selectionCallOptions } from './selection.js';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { ToolInputParsingException, type StructuredToolInterface } from '@langchain/core/tools';
import { END, START, StateGraph, type BaseCheckpointSaver, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { loadPrompt, renderInstruction } from '../prompts/load.js';
import { toLangChainTool } from '../tools/langchain-adapter.js';
import { describeInputIssues, ToolError, type ToolDeps, type ToolSpec } from '../tools/spec.js';
import { applyCaseDelta, describeCase, parseCaseDelta } from '../clinical/case-reader.js';
import type { ClinicalDeps } from '../clinical/deps.js';
import { exclusionLine, exclusionOf, explainWhyNot, publicItem, recommendDrugs } from '../clinical/recommender.js';
import { findingsAsWarnings, verdictAsCurrentMedication } from '../clinical/safety/engine.js';
import { safetyPatientFromCase } from '../clinical/safety/patient.js';
import { drugsNamedInText, markLeftOut } from './answer-drugs.js';
import { modelCaseDelta } from './case-model.js';
import { describeChanges, turnSummary } from './changes.js';
import { checkCitations, harvestToolResult, recommendedDrugsInText, type Harvest } from './citations.js';
import { AgentState, toPatientCase, type AgentStateType, type AgentStateUpdate, type LedgerItem } from './state.js';
import type { ChatEvent, ExcludedDrug, FinalAnswer, RecommendedDrug, Warning } from './types.js';

export type AgentMode = 'tool-calling' | 'retrieve-then-generate';

export const DISCLAIMER = 'This supports, and does not replace, clinical judgement: check every recommendation against the full clinical picture and current prescribing information.';

export interface AgentGraphOptions {
  /** Null: every turn runs in evidence-only mode. */
  model: BaseChatModel | null;
  tools: ToolSpec[];
  deps: ToolDeps;
  mode: AgentMode;
  maxToolRounds: number;
  modelTimeoutMs: number;
  toolTimeoutMs: number;
  /** Let the model help extract the case (model mode only); rules always run. */
  llmCaseExtraction?: boolean;
  checkpointer?: BaseCheckpointSaver;
  log?: (line: string) => void;
}

/** Text of a message whatever its content shape (string or content blocks). */
export function textOf(m: BaseMessage | undefined): string {
  if (!m) return '';
  const c = m.content as unknown;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((b) => (typeof b === 'string' ? b : typeof b?.text === 'string' ? b.text : '')).join('');
  return '';
}

const emit = (config: LangGraphRunnableConfig, event: ChatEvent) => (config.writer as ((c: unknown) => void) | undefined)?.(event);

/** Rejects after `ms`, so a hung tool or model call cannot stall a turn. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

// Ends at the question's own punctuation, so text after it ("Why not losartan? She is 30.") does not hide it.
const WHY_NOT = /\b(?:why\s+(?:not|no|isn'?t|wasn'?t|didn'?t you (?:recommend|suggest|pick))|what about|how about|(?:could|can|should) (?:we|i|she|he|they) (?:use|try|give|start|switch to|take|have|be given|stop|continue|keep|hold)(?: (?:her|his|their|the))?|(?:she|he|they|the patient|patient|pt) (?:wants?|would like|is asking for|asks for|requests?)(?: to (?:start|try|use|take|go on))?(?: (?:the|a|an))?)\s+([A-Za-z][\w\s-]{1,60}?)(?:\s+(?:instead|for (?:her|him|them|this patient)|here|too|then|an option|ok|okay|safe|better|appropriate|suitable))*\s*(?:[?.!;,]|$)/im;

/** How the answer to a question about one drug is headed: in the words the question used. */
const askedAbout = (question: string, drug: string) => (/\bwhy\b/i.test(question) ? `Why not ${drug}?` : `About ${drug} for this patient:`);

/** How an exclusion's severity reads inline in an answer. */
const SEVERITY_WORDS: Record<ExcludedDrug['severity'], string> = { contraindicated: 'contraindicated for this patient', avoid_unless: 'avoid unless no alternative', not_indicated: 'not indicated', already_taking: 'already taking' };

function harvestUpdate(h: Harvest[]): Pick<AgentStateUpdate, 'evidence' | 'citable' | 'drugsSeen'> {
  return {
    evidence: h.flatMap((x) => x.items),
    citable: h.flatMap((x) => x.citable),
    drugsSeen: Object.assign({}, ...h.map((x) => x.drugs)),
  };
}

const ledgerHarvest = (items: LedgerItem[]): Harvest => ({
  items,
  citable: items.map((i) => i.id),
  drugs: {},
});

const CUT_OFF_NOTICE = "The model's answer was cut off at its token limit (KEDREC_MODEL_MAX_TOKENS): the drugs it named were checked like any answer, but its rationale is incomplete.";

/** Whether a text names any of the drugs (whole words, any case). */
function namesAnyOf(text: string, names: string[]): boolean {
  const lower = text.toLowerCase();
  return names.some((n) => new RegExp(`(?<![\\p{L}\\p{N}])${n.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u').test(lower));
}

/** Whether the model stopped at its token limit: the embedded runtime's mark, or the server's finish reason. */
function stoppedAtLimit(ai: AIMessage, text: string): boolean {
  const meta = (ai.response_metadata ?? {}) as { finish_reason?: string; done_reason?: string };
  return text.endsWith(SELECTION_CUT_OFF) || meta.finish_reason === 'length' || meta.done_reason === 'length';
}

/**
 * Builds the agent graph:
 *   extract_case → (tool-calling) model ⇄ tools → citations → safety → finalize
 *                → (retrieve-then-generate) retrieve → generate → citations → safety → finalize
 *                → (evidence-only) recommend → citations → finalize
 * A model failure or timeout in any mode falls back to the recommender with a notice.
 */
export function buildAgentGraph(opts: AgentGraphOptions) {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const lcTools: StructuredToolInterface[] = opts.tools.map((t) => toLangChainTool(t, opts.deps));
  const byName = new Map(lcTools.map((t) => [t.name, t]));
  const specs = new Map(opts.tools.map((t) => [t.name, t]));
  const systemPrompt = loadPrompt('system');
  const model = opts.model;
  if (!opts.deps.safety) throw new Error('buildAgentGraph needs the safety engine (deps.safety): no answer may skip the safety check');
  const clinical: ClinicalDeps = { graph: opts.deps.graph, evidence: opts.deps.evidence, safety: opts.deps.safety };

  async function callModel(messages: BaseMessage[], withTools: boolean, config: LangGraphRunnableConfig, embedded?: EmbeddedCallOptions): Promise<AIMessage> {
    if (!model) throw new Error('no model configured');
    const runnable = withTools && lcTools.length && typeof model.bindTools === 'function' ? model.bindTools(lcTools) : model;
    const signal = config.signal ? AbortSignal.any([config.signal, AbortSignal.timeout(opts.modelTimeoutMs)]) : AbortSignal.timeout(opts.modelTimeoutMs);
    // Why the model stopped reaches the run's end callback, not always the message (a streamed
    // run's merged message can lack it): kept, so an answer cut at the token limit says so.
    let finish: string | undefined;
    const capture = BaseCallbackHandler.fromMethods({
      handleLLMEnd(out) {
        const info = out.generations?.[0]?.[0]?.generationInfo as { finish_reason?: string; done_reason?: string } | undefined;
        finish = info?.finish_reason ?? info?.done_reason ?? finish;
      },
    });
    const callbacks = config.callbacks instanceof CallbackManager ? config.callbacks.copy([capture], false) : [...((config.callbacks as BaseCallbackHandler[] | undefined) ?? []), capture];
    const ai = (await withTimeout(runnable.invoke(messages, { signal, callbacks, ...embedded } as never), opts.modelTimeoutMs, 'model call')) as AIMessage;
    if (finish && !ai.response_metadata?.finish_reason) ai.response_metadata = { ...ai.response_metadata, finish_reason: finish };
    if (!ai.id) ai.id = `ai-${randomUUID()}`;
    // A reply that is neither text nor a usable tool call would pass as an empty "model" answer.
    if (!ai.tool_calls?.length) {
      const bad = ai.invalid_tool_calls ?? [];
      if (bad.length) throw new Error(`the model sent malformed tool calls (${bad.map((c) => `${c.name ?? '?'}: ${c.error ?? 'unparseable arguments'}`).join('; ').slice(0, 300)})`);
      if (!textOf(ai).trim()) throw new Error('the model returned an empty answer');
    }
    return ai;
  }

  function modelFailed(state: AgentStateType, err: unknown, config: LangGraphRunnableConfig): AgentStateUpdate {
    if (config.signal?.aborted) throw err;
    const message = `The language model failed (${(err as Error).message}); this answer comes from the evidence-only recommender.`;
    log(`[agent] ${message}`);
    emit(config, { type: 'notice', message });
    return { turnMode: 'evidence-only', notices: [...state.notices, message] };
  }

  async function extractCase(state: AgentStateType, config: LangGraphRunnableConfig): Promise<AgentStateUpdate> {
    const last = [...state.messages].reverse().find((m) => m.getType() === 'human');
    const text = textOf(last);
    let delta = parseCaseDelta(text);
    if (opts.llmCaseExtraction && model && state.turnMode === 'model') {
      try {
        delta = await withTimeout(modelCaseDelta(model, state.case, text, config.signal), opts.modelTimeoutMs, 'case extraction');
      } catch (err) {
        log(`[agent] model case extraction failed, rules only: ${(err as Error).message}`);
      }
    }
    const r = await applyCaseDelta(opts.deps.graph, state.case, delta, text, clinical.safety.knowledge);
    const notices = [...state.notices];
    for (const n of r.notices) {
      notices.push(n);
      emit(config, { type: 'notice', message: n });
    }
    if (r.unresolved.length) {
      const n = `Not matched to the knowledge base (left out of the case): ${r.unresolved.map((u) => `"${u}"`).join(', ')}.`;
      notices.push(n);
      emit(config, { type: 'notice', message: n });
    }
    return { case: r.case, notices };
  }

  async function recommend(state: AgentStateType, config: LangGraphRunnableConfig): Promise<AgentStateUpdate> {
    emit(config, { type: 'tool_call', id: 'recommender', name: 'recommend_drugs', args: { case: toPatientCase(state.case) } });
    const r = await recommendDrugs(clinical, state.case);
    emit(config, { type: 'tool_result', id: 'recommender', name: 'recommend_drugs', ok: true, summary: leftOutSummary(r.recommendations.length, r.excluded) });
    let text = r.text;
    const extra: LedgerItem[] = [];
    const why = WHY_NOT.exec(textOf([...state.messages].reverse().find((m) => m.getType() === 'human')));
    if (why) {
      const w = await explainWhyNot(clinical, state.case, why[1].trim(), r);
      // "What about the weekend?" names no drug: only a "why not X?" is answered when X is unknown.
      if (w.drug || /\bwhy\b/i.test(why[0])) text += `\n\n${askedAbout(why[0], w.drug?.name ?? why[1].trim())} ${w.text}`;
      extra.push(...w.evidence);
    }
    const recWarnings = r.recommendations.flatMap((x) => x.warnings.filter((w) => w.kind !== 'side_effect' && w.kind !== 'serious_effect'));
    return {
      turnMode: 'evidence-only',
      draft: text,
      draftMessageId: null,
      recommendations: r.recommendations.map(({ components: _c, ...rest }) => rest),
      excluded: r.excluded,
      warnings: [...r.warnings, ...recWarnings],
      notices: [...state.notices, ...r.notices],
      ...harvestUpdate([ledgerHarvest([...r.evidence, ...extra])]),
    };
  }

  async function modelNode(state: AgentStateType, config: LangGraphRunnableConfig): Promise<AgentStateUpdate> {
    // One system message, first: chat templates such as Gemma's or Mistral's (vLLM, llama.cpp --jinja) refuse a second one.
    const system = new SystemMessage(`${systemPrompt}\n\nPatient case extracted by code from the conversation so far: ${describeCase(state.case)}`);
    try {
      const ai = await callModel([system, ...state.messages], true, config);
      return { messages: [ai], draft: textOf(ai), draftMessageId: ai.id ?? null };
    } catch (err) {
      return modelFailed(state, err, config);
    }
  }

  async function toolsNode(state: AgentStateType, config: LangGraphRunnableConfig): Promise<AgentStateUpdate> {
    const ai = state.messages[state.messages.length - 1] as AIMessage;
    const calls = ai.tool_calls ?? [];
    const harvests: Harvest[] = [];
    const results = await Promise.all(
      calls.map(async (call) => {
        const id = call.id ?? `call-${randomUUID()}`;
        emit(config, { type: 'tool_call', id, name: call.name, args: call.args });
        const tool = byName.get(call.name);
        let msg: ToolMessage;
        if (!tool) {
          msg = new ToolMessage({ tool_call_id: id, name: call.name, status: 'error', content: `Error: there is no tool named "${call.name}". Valid tools: ${[...byName.keys()].join(', ')}.` });
        } else {
          try {
            const out = (await withTimeout(tool.invoke({ ...call, id, type: 'tool_call' }, { signal: config.signal }), opts.toolTimeoutMs, `tool ${call.name}`)) as ToolMessage;
            msg = out instanceof ToolMessage ? out : new ToolMessage({ tool_call_id: id, name: call.name, content: String(out) });
            if (msg.artifact !== undefined) harvests.push(harvestToolResult(call.name, msg.artifact));
          } catch (err) {
            const e = err as Error;
            // Expected failures carry their own guidance; anything else is reported as an internal error, never as a result.
            const spec = specs.get(call.name)!;
            const parsed = err instanceof ToolInputParsingException ? spec.input.safeParse(call.args) : undefined;
            const expected = err instanceof ToolError || err instanceof ToolInputParsingException;
            const detail = parsed && !parsed.success ? describeInputIssues(spec, parsed.error) : expected ? e.message : `internal error in ${call.name}: ${e.message}`;
            if (!expected) log(`[agent] tool ${call.name} failed: ${e.stack ?? e.message}`);
            msg = new ToolMessage({ tool_call_id: id, name: call.name, status: 'error', content: `Error: ${detail}` });
          }
        }
        const ok = msg.status !== 'error';
        emit(config, { type: 'tool_result', id, name: call.name, ok, summary: textOf(msg).slice(0, 200) });
        return msg;
      }),
    );
    return { messages: results, toolRounds: state.toolRounds + 1, ...harvestUpdate(harvests) };
  }

  function roundLimit(state: AgentStateType, config: LangGraphRunnableConfig): AgentStateUpdate {
    const ai = state.messages[state.messages.length - 1] as AIMessage;
    // Every tool call needs an answer in the history, or the next turn's model call is invalid.
    const skipped = (ai.tool_calls ?? []).map(
      (c) => new ToolMessage({ tool_call_id: c.id ?? `call-${randomUUID()}`, name: c.name, status: 'error', content: `Error: not run: the limit of ${opts.maxToolRounds} tool rounds per turn was reached.` }),
    );
    // Text sent alongside tool calls is not an answer; the recommender answers instead, and says why.
    const notice = `The model was stopped after ${opts.maxToolRounds} tool rounds without finishing; this answer comes from the evidence-only recommender.`;
    emit(config, { type: 'notice', message: notice });
    return { messages: skipped, notices: [...state.notices, notice], draft: null, draftMessageId: null };
  }

  async function retrieve(state: AgentStateType, config: LangGraphRunnableConfig): Promise<AgentStateUpdate> {
    emit(config, { type: 'tool_call', id: 'retrieve', name: 'recommend_drugs', args: { case: toPatientCase(state.case), limit: 8 } });
    const r = await recommendDrugs(clinical, state.case, { limit: 8 });
    emit(config, { type: 'tool_result', id: 'retrieve', name: 'recommend_drugs', ok: true, summary: `${r.recommendations.length} candidate(s), ${r.evidence.length} evidence item(s)` });
    const extra: LedgerItem[] = [];
    const question = textOf([...state.messages].reverse().find((m) => m.getType() === 'human'));
    const why = WHY_NOT.exec(question);
    let whyDrug: { id: string; name: string } | undefined;
    let whyExcluded = false;
    if (why) {
      const w = await explainWhyNot(clinical, state.case, why[1].trim(), r);
      extra.push(...w.evidence);
      whyDrug = w.drug;
      whyExcluded = !!w.excluded;
    }
    const candidates = r.recommendations.map((x) => ({ id: x.drug.id, name: x.drug.name }));
    // A drug the engine left out is explained, never offered to the model as a candidate.
    if (whyDrug && !whyExcluded && !candidates.some((c) => c.id === whyDrug!.id)) candidates.push(whyDrug);
    const evidence = [...r.evidence, ...extra];
    const background = evidence.slice(0, 40).map((e) => `[${e.id}] ${e.snippet}`);
    const instruction = renderInstruction({ patient: describeCase(state.case), candidates: candidates.map((c) => `${c.name} (${c.id})`), background, question });
    return {
      notices: [...state.notices, ...r.notices],
      // The model only ever sees safe candidates; what the engine left out is shown beside its answer.
      excluded: r.excluded,
      ...harvestUpdate([ledgerHarvest(evidence), { items: [], citable: [], drugs: Object.fromEntries(candidates.map((c) => [c.id, c.name])) }]),
      candidates: candidates.map((c) => c.name),
      draft: instruction,
    };
  }

  async function generate(state: AgentStateType, config: LangGraphRunnableConfig): Promise<AgentStateUpdate> {
    // Earlier turns as plain dialogue; the current question is replaced by the filled instruction.
    const history = state.messages.slice(0, -1).filter((m) => (m.getType() === 'human' || m.getType() === 'ai') && textOf(m).trim() && !(m as AIMessage).tool_calls?.length);
    try {
      const messages = [new SystemMessage(systemPrompt), ...history, new HumanMessage(state.draft ?? '')];
      // An embedded model writes under a grammar: a selection from the candidates and a rationale,
      // as JSON, streamed and returned in the answer's text form. Served models write the text form.
      const grammar = model instanceof EmbeddedLlamaCpp && state.candidates.length ? selectionCallOptions(state.candidates) : undefined;
      const ai = await callModel(messages, false, config, grammar);
      const text = textOf(ai);
      const cut = stoppedAtLimit(ai, text);
      // Cut off before the selection was closed: there is nothing to check, so nothing to show as the model's.
      if (grammar && !text.startsWith('Selected drugs:')) throw new Error('the model stopped before it finished selecting (its token limit, KEDREC_MODEL_MAX_TOKENS, is too small)');
      // A model that ignores the task (echoes its prompt, writes about something else) names no
      // candidate: its text is no recommendation, so the evidence-only answer is shown instead.
      if (state.candidates.length && !namesAnyOf(text, [...state.candidates, ...Object.keys(state.drugsSeen ?? {})])) {
        throw new Error(cut ? 'the model reached its token limit (KEDREC_MODEL_MAX_TOKENS) before naming a candidate drug' : 'the model named none of the candidate drugs');
      }
      // The template ends with "Selected drugs:", which the model continues.
      const draft = /selected drugs?\s*:/i.test(text) ? text : `Selected drugs: ${text}`;
      const notices = cut ? [...state.notices, CUT_OFF_NOTICE] : state.notices;
      if (notices !== state.notices) emit(config, { type: 'notice', message: CUT_OFF_NOTICE });
      return { messages: [ai], draft, draftMessageId: ai.id ?? null, notices };
    } catch (err) {
      return modelFailed(state, err, config);
    }
  }

  function citations(state: AgentStateType): AgentStateUpdate {
    const checked = checkCitations(state.draft ?? '', state.citable);
    const notices = [...state.notices];
    if (checked.removed.length) notices.push(`Removed ${checked.removed.length} citation(s) that no tool in this conversation returned: ${checked.removed.join(', ')}.`);
    const update: AgentStateUpdate = { draft: checked.text, removedCitations: checked.removed, notices };
    // Replace the model's message in the history with the checked text (same id → replaced, not appended).
    if (state.draftMessageId) update.messages = [new AIMessage({ id: state.draftMessageId, content: checked.text })];
    return update;
  }

  async function safety(state: AgentStateType): Promise<AgentStateUpdate> {
    let text = state.draft ?? '';
    const held = new Set([...state.case.currentMedications, ...state.case.allergies].map((e) => e.id).filter((x): x is string => !!x));
    const currentIds = new Set(state.case.currentMedications.map((e) => e.id).filter((x): x is string => !!x));
    // The answer's picks (what the case already has is not a new pick)...
    const picked = recommendedDrugsInText(text, state.drugsSeen, held);
    // ...and every drug the answer names at all, whether a tool returned it or not, allergens and
    // current medications included: the engine checks them all, the model decides nothing.
    const named = await drugsNamedInText(opts.deps.graph, text);
    for (const p of picked) if (!named.has(p.id)) named.set(p.id, { id: p.id, name: p.name, surfaces: [p.name], putForward: true });
    const checked = [...named.values()];
    const report = await clinical.safety.check(checked, safetyPatientFromCase(clinical.safety.knowledge, state.case));
    const recommendations: RecommendedDrug[] = [];
    const warnings: Warning[] = [...report.general];
    const excluded: ExcludedDrug[] = [...state.excluded];
    // Tool-calling answers come without the recommender's screen: run it so the clinician sees what was left out and why.
    if (opts.mode === 'tool-calling' && !excluded.length && state.case.conditions.length) excluded.push(...(await recommendDrugs(clinical, state.case)).excluded);
    const ledger = [...state.evidence, ...report.evidence];
    const safetyLines: string[] = [];
    const warned = new Set<string>();
    const warn = (x: Warning, line: boolean) => {
      if (warned.has(x.message)) return;
      warned.add(x.message);
      warnings.push(x);
      if (line) safetyLines.push(`- ${x.message}`);
    };
    for (const d of checked) {
      const current = currentIds.has(d.id);
      const v = current ? verdictAsCurrentMedication(report.verdicts.get(d.id)!) : report.verdicts.get(d.id)!;
      const out = exclusionOf(v);
      if (out) {
        if (!excluded.some((e) => e.drug.id === d.id)) excluded.push(out);
        if (!d.putForward) continue;
        // Struck through where the answer puts it forward, so the text itself never reads as recommending it.
        text = markLeftOut(text, d.surfaces, current ? `safety check: ${SEVERITY_WORDS[out.severity]}; review this current medication` : `removed by the safety check: ${SEVERITY_WORDS[out.severity]}`);
        const kind = out.severity === 'contraindicated' && v.findings[0]?.kind === 'allergy' ? 'allergy' : 'contraindication';
        const message = current ? `${d.name} (a current medication) — ${out.reason}` : `${d.name} was removed from the model's recommendations: ${out.reason}`;
        warn({ kind, message, drugs: [d.id], ...(out.rule ? { rule: out.rule } : {}), severity: out.severity === 'avoid_unless' ? 'avoid_unless' : 'contraindicated' }, false);
        safetyLines.push(`- ${d.name} ${current ? 'flagged' : 'removed'} — ${exclusionLine(out)}`);
        continue;
      }
      const w = findingsAsWarnings(v);
      const pick = picked.find((p) => p.id === d.id);
      if (pick) {
        const cited = new Set(checkCitations(pick.line, state.citable).kept.map((x) => x.toUpperCase()));
        const evidence = [
          ...ledger.filter((e) => cited.has(e.id.toUpperCase())),
          ...ledger.filter((e) => !cited.has(e.id.toUpperCase()) && e.drugs?.includes(d.id) && e.type !== 'side_effect' && e.type !== 'interaction' && e.type !== 'label' && e.type !== 'guideline'),
        ].slice(0, 8);
        recommendations.push({ rank: recommendations.length + 1, drug: { id: d.id, name: d.name }, rationale: pick.line, evidence: evidence.map(publicItem), warnings: w });
      }
      // A drug the answer only mentions still carries its warnings when the answer puts it forward.
      if (pick || d.putForward) for (const x of w) if (x.kind !== 'side_effect' && x.kind !== 'serious_effect') warn(x, true);
    }
    const left = excluded.filter((e) => !checked.some((d) => d.id === e.drug.id && d.putForward));
    if (left.length) safetyLines.push(...left.map((e) => `- Left out for this patient: ${exclusionLine(e)}`));
    const draft = safetyLines.length ? `${text}\n\nSafety check (by code):\n${safetyLines.join('\n')}` : text;
    return { recommendations, warnings, excluded, draft, ...harvestUpdate([{ items: report.evidence, citable: report.evidence.map((e) => e.id), drugs: {} }]) };
  }

  function finalize(state: AgentStateType, config: LangGraphRunnableConfig): AgentStateUpdate {
    const threadId = String(config.configurable?.thread_id ?? '');
    const summary = turnSummary(state.case, state.recommendations, state.excluded);
    const changes = describeChanges(state.lastTurn, summary);
    const text = changes.length ? `${state.draft ?? ''}\n\nWhat changed since the last answer:\n${changes.map((c) => `- ${c}`).join('\n')}` : (state.draft ?? '');
    const answer: FinalAnswer = {
      threadId,
      mode: state.turnMode,
      case: toPatientCase(state.case),
      recommendations: state.recommendations,
      excluded: state.excluded,
      changes,
      text,
      warnings: state.warnings,
      removedCitations: state.removedCitations,
      notices: state.notices,
      disclaimer: DISCLAIMER,
    };
    // The history keeps the answer as delivered: the checked text replaces the model's draft.
    const message = state.draftMessageId ? new AIMessage({ id: state.draftMessageId, content: text }) : new AIMessage({ id: `ai-${randomUUID()}`, content: text });
    return { answer, messages: [message], lastTurn: summary };
  }

  const routeAfterExtract = (s: AgentStateType) => (s.turnMode === 'evidence-only' || !model ? 'recommend' : opts.mode === 'tool-calling' ? 'model' : 'retrieve');
  const routeAfterModel = (s: AgentStateType) => {
    if (s.turnMode === 'evidence-only') return 'recommend';
    const last = s.messages[s.messages.length - 1] as AIMessage;
    if (!last?.tool_calls?.length) return 'citations';
    return s.toolRounds >= opts.maxToolRounds ? 'round_limit' : 'tools';
  };

  const g = new StateGraph(AgentState)
    .addNode('extract_case', extractCase)
    .addNode('recommend', recommend)
    .addNode('model', modelNode)
    .addNode('tools', toolsNode)
    .addNode('round_limit', roundLimit)
    .addNode('retrieve', retrieve)
    .addNode('generate', generate)
    .addNode('citations', citations)
    .addNode('safety', safety)
    .addNode('finalize', finalize)
    .addEdge(START, 'extract_case')
    .addConditionalEdges('extract_case', routeAfterExtract, ['recommend', 'model', 'retrieve'])
    .addConditionalEdges('model', routeAfterModel, ['recommend', 'citations', 'tools', 'round_limit'])
    .addEdge('tools', 'model')
    .addEdge('round_limit', 'recommend')
    .addEdge('retrieve', 'generate')
    .addConditionalEdges('generate', (s: AgentStateType) => (s.turnMode === 'evidence-only' ? 'recommend' : 'citations'), ['recommend', 'citations'])
    .addEdge('recommend', 'citations')
    .addConditionalEdges('citations', (s: AgentStateType) => (s.turnMode === 'evidence-only' ? 'finalize' : 'safety'), ['finalize', 'safety'])
    .addEdge('safety', 'finalize')
    .addEdge('finalize', END);
  return g.compile({ checkpointer: opts.checkpointer });
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>;

/** "5 recommendation(s), 3 left out for safety, 20 not indicated": a non-indication is not a safety exclusion. */
export function leftOutSummary(recommended: number, excluded: { severity: string }[]): string {
  const safety = excluded.filter((e) => e.severity === 'contraindicated' || e.severity === 'avoid_unless').length;
  const other = excluded.filter((e) => e.severity === 'not_indicated').length;
  const taking = excluded.length - safety - other;
  return [`${recommended} recommendation(s)`, safety ? `${safety} left out for safety` : '', other ? `${other} not indicated or recommended against` : '', taking ? `${taking} already taken` : ''].filter(Boolean).join(', ');
}
