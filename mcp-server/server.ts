import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { KbStats } from '../kb/graph/store.js';
import { registerMcpTool } from '../tools/mcp-adapter.js';
import type { ToolDeps, ToolSpec } from '../tools/spec.js';

/** What the MCP server needs; every part is passed in so tests and entry points choose the wiring. */
export interface McpServerDeps {
  /** The tools to expose (graph, evidence, recommend_drugs: whatever this deployment has). */
  tools: ToolSpec[];
  toolDeps: ToolDeps;
  /** Server name/version reported to clients. */
  info?: { name: string; version: string };
}

export const SOURCES_RESOURCE_URI = 'kedrec://sources';
const DISCLAIMER_RESOURCE_URI = 'kedrec://disclaimer';

/** Shown with every recommendation surface: the assistant supports, never replaces, clinical judgement. */
const DISCLAIMER =
  'KEDRec is a research assistant, not a medical device. Its suggestions come from a knowledge graph, clinical-trial records and PubMed abstracts that may be incomplete or outdated; a missing interaction record is not evidence of safety. A qualified clinician must verify every recommendation against current labelling and the full patient record.';

/** Markdown table of the knowledge base's sources and licenses, for the sources resource. */
function renderSources(stats: Pick<KbStats, 'sources' | 'meta'>): string {
  const lines = [
    '# Data sources and licenses',
    '',
    `Knowledge base built ${stats.meta.built_at ?? '(unknown)'}${stats.meta.noncommercial === '0' ? ', without non-commercial sources' : ''}.`,
    '',
    '| id | name | license | non-commercial | url |',
    '|---|---|---|---|---|',
  ];
  for (const s of stats.sources) lines.push(`| ${s.id} | ${s.name} | ${s.license} | ${s.noncommercial ? 'yes' : 'no'} | ${s.url} |`);
  lines.push('', 'Sources marked non-commercial (DrugBank-derived, SIDER) may not be used commercially; build with `kedrec kb build --no-noncommercial` to leave them out.');
  return lines.join('\n');
}

/** The case-discussion prompt text, shared by MCP clients and anyone else who wants it. */
function caseDiscussionPrompt(a: { conditions: string; medications?: string; allergies?: string; age?: string; notes?: string }): string {
  const toolNames = 'recommend_drugs, check_safety, resolve_entity, find_drugs_for_condition, get_drug_profile, explain_drug_condition_link, check_interactions, search_trials, search_literature';
  return [
    'Discuss this patient case and recommend drugs, ranked, each with a rationale grounded in evidence you retrieve with the KEDRec tools.',
    '',
    `Conditions: ${a.conditions}`,
    `Current medications: ${a.medications?.trim() || 'none stated'}`,
    `Allergies: ${a.allergies?.trim() || 'none stated'}`,
    ...(a.age ? [`Age: ${a.age}`] : []),
    ...(a.notes ? [`Notes: ${a.notes}`] : []),
    '',
    'Patient factors matter for safety: pregnancy (weeks), breastfeeding, kidney function (eGFR/CrCl/CKD stage/dialysis), hepatic impairment, allergies with the reaction, every comorbidity and device (e.g. mechanical heart valve), current medications, QTc. Pass them as typed fields to recommend_drugs and check_safety; never recommend a drug either tool excludes, and say which drugs were left out and why.',
    `Work this way: resolve each condition and drug to an identifier first; gather candidates with recommend_drugs (safety-checked) or find_drugs_for_condition, and run check_safety on any candidate you add yourself; explain each candidate's mechanism with explain_drug_condition_link; look for trials and articles with search_trials / search_literature when available; check every candidate against the current medications with check_interactions and against allergies and side effects with get_drug_profile. Available tools may include: ${toolNames}.`,
    'Cite only identifiers the tools returned (DrugBank IDs, NCT IDs, PMIDs, graph paths). Say plainly when evidence is missing; an absent interaction record is not proof of safety.',
    `End with this disclaimer: ${DISCLAIMER}`,
  ].join('\n');
}

/**
 * Creates an MCP server exposing the given tools with their input and output schemas, a resource
 * listing the data sources and licenses, a disclaimer resource, and a case-discussion prompt.
 * The caller connects it to a transport (stdio, Streamable HTTP, in-memory).
 */
export function createServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(deps.info ?? { name: 'kedrec', version: '0.1.0' }, {
    instructions:
      'KEDRec: explainable drug recommendation over a drug knowledge graph (Hetionet, PharmacotherapyDB, SIDER, DrugBank/DeepDDI), clinical trials and PubMed. Resolve names with resolve_entity first; every result cites its sources and licenses. Use the case_discussion prompt for a full case.',
  });
  for (const spec of deps.tools) registerMcpTool(server, spec, deps.toolDeps);

  server.registerResource(
    'sources',
    SOURCES_RESOURCE_URI,
    { title: 'Data sources and licenses', description: 'Every source in the knowledge base with its license; non-commercial ones are marked.', mimeType: 'text/markdown' },
    async (uri) => {
      const stats = await deps.toolDeps.graph.stats();
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: renderSources(stats) }] };
    },
  );
  server.registerResource(
    'disclaimer',
    DISCLAIMER_RESOURCE_URI,
    { title: 'Clinical-use disclaimer', description: 'What KEDRec output is and is not.', mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: DISCLAIMER }] }),
  );

  server.registerPrompt(
    'case_discussion',
    {
      title: 'Discuss a patient case',
      description: 'Start a grounded case discussion: conditions, current medications, allergies; the model uses the KEDRec tools and cites what they return.',
      argsSchema: {
        conditions: z.string().min(1).max(500).describe('Diagnoses, comma-separated, e.g. "type 2 diabetes mellitus, hypertension"'),
        medications: z.string().max(500).optional().describe('Current medications, comma-separated'),
        allergies: z.string().max(300).optional().describe('Known drug allergies, comma-separated'),
        age: z.string().max(10).optional().describe('Age in years'),
        notes: z.string().max(2000).optional().describe('Free-text notes (renal/hepatic function, pregnancy, …)'),
      },
    },
    (args) => ({
      description: 'Case discussion with KEDRec tools',
      messages: [{ role: 'user', content: { type: 'text', text: caseDiscussionPrompt(args) } }],
    }),
  );
  return server;
}
