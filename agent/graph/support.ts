import type { BaseMessage } from '@langchain/core/messages';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { Harvest } from '../citations.js';
import type { AgentStateUpdate, LedgerItem } from '../state.js';
import type { ChatEvent } from '../types.js';

/** Text of a message whatever its content shape (string or content blocks). */
export function textOf(m: BaseMessage | undefined): string {
  if (!m) return '';
  const c = m.content as unknown;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((b) => (typeof b === 'string' ? b : typeof b?.text === 'string' ? b.text : '')).join('');
  return '';
}

/** Text of the user's latest message: the turn's question. */
export const lastHumanText = (messages: BaseMessage[]): string => textOf([...messages].reverse().find((m) => m.getType() === 'human'));

/** Sends a chat event to the turn's stream (the graph's custom stream mode); a run without a writer drops it. */
export const emit = (config: LangGraphRunnableConfig, event: ChatEvent) => (config.writer as ((c: unknown) => void) | undefined)?.(event);

/** Rejects after `ms`, so a hung tool or model call cannot stall a turn. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The state fields that gather what tools returned: the ledger, what may be cited, the drugs seen. */
export function harvestUpdate(h: Harvest[]): Pick<AgentStateUpdate, 'evidence' | 'citable' | 'drugsSeen'> {
  return {
    evidence: h.flatMap((x) => x.items),
    citable: h.flatMap((x) => x.citable),
    drugsSeen: Object.assign({}, ...h.map((x) => x.drugs)),
  };
}

/** Ledger items as a harvest: each item's id may be cited. */
export const ledgerHarvest = (items: LedgerItem[]): Harvest => ({
  items,
  citable: items.map((i) => i.id),
  drugs: {},
});
