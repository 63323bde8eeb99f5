/**
 * What an article says of a drug's use, from its own words: a treatment study ("efficacy",
 * "randomized", "in the treatment of"), an adverse-effect report ("-induced", "toxicity",
 * "poisoning"), or neither (case reports of something else, animal models, background). Only a
 * treatment study in people can support a recommendation; the BC5CDR corpus is mostly
 * chemical-induced-disease reports, where a co-mention means harm (issue 14: 3 of 33 cited
 * articles were relevant).
 */
export type ArticleStance = 'treatment' | 'adverse' | 'preclinical' | 'other';

const TREATMENT = /\b(?:treatment (?:of|for|with)|treated with|therapy (?:for|of|in|with)|efficacy|effective(?:ness)?|randomi[sz]ed|placebo|double-blind|controlled (?:trial|study)|clinical trial|versus|compared with|management of|in the treatment|prevention of|prophylaxis|improve[sd]?|relief of|response to|first-line|add-on)\b/i;
const ADVERSE = /\b(?:\w+-induced|induced by|toxicity|toxic|adverse (?:effects?|events?|reactions?)|side effects?|poisoning|overdose|intoxication|caused by|complications? of|hepatotoxicity|nephrotoxicity|cardiotoxicity|ototoxicity|withdrawal)\b/i;
const PRECLINICAL = /\b(?:rats?|mice|mouse|murine|rabbits?|dogs?|guinea pigs?|hamsters?|monkeys?|in vitro|cell lines?|cultured cells|animal model)\b/i;

/** "Haloperidol for agitation", "Metformin versus sulfonylureas in …": a title led by one of the article's chemicals, used for something. */
const ledByChemical = (title: string, chemicals: string[]) => {
  const t = title.toLowerCase();
  return chemicals.some((c) => {
    const name = c.toLowerCase();
    return name.length >= 4 && t.startsWith(name) && /^\s*(?:for|in|versus|vs\.?|plus|and|or|as|compared)\b/.test(t.slice(name.length));
  });
};

export function articleStance(title: string, abstract: string, hasChemicalInducedRelation: boolean, chemicals: string[] = []): ArticleStance {
  const text = `${title}\n${abstract}`;
  if (hasChemicalInducedRelation || ADVERSE.test(title)) return 'adverse';
  if (PRECLINICAL.test(title)) return 'preclinical';
  if (ledByChemical(title, chemicals)) return 'treatment';
  if (TREATMENT.test(title) && !ADVERSE.test(text.slice(0, 600))) return 'treatment';
  if (TREATMENT.test(text) && !ADVERSE.test(text) && !PRECLINICAL.test(text)) return 'treatment';
  return 'other';
}
