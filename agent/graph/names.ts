/**
 * The agent graph's node names, in one place: the wiring, the routers and the tests name nodes
 * through this object, so none of them can name a node the graph does not have. The string
 * values are what streams (`langgraph_node`) and checkpoints carry, so they never change lightly.
 */
export const NODE = {
  /** Reads the turn's message into the tracked patient case. */
  extractCase: 'extract_case',
  /** The deterministic recommender: the evidence-only answer, and every fallback. */
  recommend: 'recommend',
  /** Tool-calling: the model answers or asks for tools. */
  model: 'model',
  /** Tool-calling: runs the tools the model asked for. */
  tools: 'tools',
  /** Tool-calling: stops a model that keeps calling tools past the round limit. */
  roundLimit: 'round_limit',
  /** Retrieve-then-generate: gathers candidates and evidence, fills the instruction template. */
  retrieve: 'retrieve',
  /** Retrieve-then-generate: the model writes selection and rationale from the instruction. */
  generate: 'generate',
  /** Removes citations no tool in this thread returned. */
  citations: 'citations',
  /** Checks every drug the answer names against the safety engine. */
  safety: 'safety',
  /** Builds the structured answer and what changed since the last one. */
  finalize: 'finalize',
} as const;

export type NodeName = (typeof NODE)[keyof typeof NODE];

/** Every node name, in the order the graph adds them. */
export const NODE_NAMES: readonly NodeName[] = Object.values(NODE);
