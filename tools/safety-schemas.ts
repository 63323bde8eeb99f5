import { z } from 'zod';

/** Output pieces recommend_drugs and check_safety share, so both cite exclusions the same way. */
export const evidenceSchema = z.object({
  type: z.enum(['kg_fact', 'kg_path', 'trial', 'article', 'interaction', 'side_effect', 'label', 'guideline']),
  id: z.string(),
  url: z.string().optional(),
  snippet: z.string(),
  source: z.string(),
  license: z.string(),
});

export const severitySchema = z.enum(['contraindicated', 'avoid_unless', 'caution', 'monitor']);

export const warningSchema = z.object({
  kind: z.enum(['interaction', 'side_effect', 'serious_effect', 'allergy', 'contraindication', 'not_indicated', 'duplicate', 'notice']),
  message: z.string(),
  drugs: z.array(z.string()).optional(),
  rule: z.string().optional(),
  severity: severitySchema.optional(),
  evidence: z.array(evidenceSchema).optional(),
});

export const citationSchema = z.object({ source: z.string(), url: z.string().optional() });

export const excludedSchema = z.object({
  drug: z.object({ id: z.string(), name: z.string() }),
  severity: z.enum(['contraindicated', 'avoid_unless', 'not_indicated', 'already_taking']),
  reason: z.string(),
  rule: z.string().optional(),
  citation: citationSchema.optional(),
  overridable: z.boolean(),
});
