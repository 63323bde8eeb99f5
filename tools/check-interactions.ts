import { z } from 'zod';
import { neutralInteraction } from '../clinical/safety/engine.js';
import { lookupEntity } from './entity-lookup.js';
import { defineTool, entityRefSchema, provenanceSchema } from './spec.js';

export const checkInteractionsTool = defineTool({
  name: 'check_interactions',
  title: 'Drug–drug interactions',
  description:
    'Check a set of drugs (e.g. a candidate plus the patient\'s current medications) for known pairwise interactions from DrugBank 5 / DeepDDI, each as a plain sentence that states no direction (the source data does not say reliably which drug affects which), with its source and license. For a graded verdict with the patient\'s other factors, use check_safety. ' +
    'Use it before recommending a drug to a patient who takes other drugs. An empty list means none recorded in this dataset, not that the combination is safe.',
  input: z
    .object({
      drugs: z.array(z.string().trim().min(1).max(200)).min(2).max(20).describe('Two to twenty drug names or identifiers, e.g. ["warfarin", "rifaximin"]'),
    })
    .strict(),
  output: z.object({
    drugs: z.array(entityRefSchema),
    interactions: z.array(
      z.object({ drug1: entityRefSchema, drug2: entityRefSchema, type: z.number().int(), sentence: z.string(), provenance: z.array(provenanceSchema) }),
    ),
    checkedPairs: z.number().int(),
    note: z.string(),
  }),
  openWorld: false,
  async handler(args, deps) {
    const drugs = [];
    for (const d of args.drugs) drugs.push((await lookupEntity(deps.graph, d, 'Compound')).entity);
    const unique = [...new Map(drugs.map((d) => [d.id, d])).values()];
    // Worded without direction: DeepDDI rows carry drug1/drug2 reversed for many asymmetric types.
    const interactions = (await deps.graph.interactions(unique.map((d) => d.id))).map((i) => ({
      ...i,
      sentence: deps.safety ? neutralInteraction(deps.safety.knowledge, i) : `${[i.drug1.name, i.drug2.name].sort().join(' and ')} interact (DrugBank interaction type ${i.type}; which drug is affected is not stated reliably in this data).`,
    }));
    const n = unique.length;
    return {
      drugs: unique,
      interactions,
      checkedPairs: (n * (n - 1)) / 2,
      note: 'Interactions recorded in DrugBank 5 via DeepDDI (CC BY-NC 4.0). Absence of a record is not evidence of safety.',
    };
  },
  render(r) {
    const head = `Checked ${r.checkedPairs} pair(s) among ${r.drugs.map((d) => `${d.name} (${d.id})`).join(', ')}.`;
    if (!r.interactions.length) return `${head} No interaction recorded. ${r.note}`;
    return [head, ...r.interactions.map((i) => `- ${i.sentence} [${i.drug1.id}–${i.drug2.id}; ${i.provenance.map((p) => `${p.source}, ${p.license}`).join('; ')}]`)].join('\n');
  },
});
