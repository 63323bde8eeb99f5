import { z } from 'zod';
import { clip, evidenceCall, evidenceStore, linkSchema, sourcePreferenceSchema } from './evidence-support.js';
import { defineTool } from './spec.js';

const input = z
  .object({
    pmid: z.string().regex(/^(PMID:?\s*)?\d{1,9}$/i, 'a PMID is a number, e.g. 8701013').describe('PubMed identifier, e.g. 8701013'),
    max_chars: z.number().int().min(200).max(20_000).default(6000).describe('Longest abstract text returned, in characters (200-20000)'),
    source: sourcePreferenceSchema,
  })
  .strict();

const output = z.object({
  criteria: input.describe('the request as applied, for provenance'),
  pmid: z.string(),
  title: z.string(),
  title_kind: z.enum(['title', 'question']),
  year: z.number().nullable(),
  journal: z.string().nullable(),
  abstract: z.string(),
  sections: z.array(z.object({ label: z.string(), text: z.string() })).describe('labelled abstract sections (BACKGROUND, METHODS, …) when structured'),
  mesh: z.array(z.string()),
  concepts: z.array(z.object({ mesh_id: z.string(), type: z.string(), name: z.string() })).describe('annotated chemicals/diseases (BC5CDR) or MeSH headings (live)'),
  relations: z.array(z.object({ chemical: z.string(), disease: z.string() })).describe('curated chemical-induced-disease relations (BC5CDR), MeSH ids'),
  links: z.array(linkSchema),
  url: z.string(),
  notices: z.array(z.string()),
  provenance: z.object({ origin: z.enum(['offline', 'live']), sources: z.array(z.string()), license: z.string() }),
});

export const getArticleTool = defineTool({
  name: 'get_article',
  title: 'Get a PubMed article',
  description:
    'Read one PubMed article by PMID: title, year, abstract (with labelled sections), MeSH terms, annotated chemicals/diseases and the drug/condition entities it is linked to. ' +
    'Use it after search_literature, or when the user cites a PMID. Do not use it to find articles (use search_literature) or for trials (use get_trial).',
  input,
  output,
  openWorld: true,
  async handler(args, deps) {
    const store = evidenceStore(deps, 'get_article');
    const { article: a, notices } = await evidenceCall(() => store.getArticle(args.pmid, args.source));
    let budget = args.max_chars;
    const sections = a.sections.slice(0, 30).map((s) => {
      const text = clip(s.text, Math.max(0, budget));
      budget -= s.text.length;
      return { label: s.label, text };
    }).filter((s) => s.text);
    return {
      criteria: args,
      pmid: a.pmid, title: a.title, title_kind: a.titleKind, year: a.year, journal: a.journal,
      abstract: clip(a.abstract, args.max_chars), sections, mesh: a.mesh.slice(0, 50),
      concepts: a.concepts.slice(0, 50).map((c) => ({ mesh_id: c.meshId, type: c.type, name: c.name })),
      relations: a.relations.slice(0, 50), links: a.links.slice(0, 100), url: a.url, notices,
      provenance: { origin: a.origin, sources: a.sources, license: a.license },
    };
  },
  render(a) {
    return [
      `PMID ${a.pmid}${a.year ? ` (${a.year})` : ''}: ${a.title}`,
      a.abstract,
      a.mesh.length ? `MeSH: ${a.mesh.join('; ')}` : '',
      `${a.url} (${a.provenance.origin}; ${a.provenance.license})`,
    ].filter(Boolean).join('\n');
  },
});
