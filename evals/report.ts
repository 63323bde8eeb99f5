import path from 'node:path';

import type { VariantResult } from './exprxrec.js';
import { KEDREC_FEATURES } from './mimic.js';
import type { MimicReport, RepeatedResult } from './mimic-run.js';
import { writeAtomic } from '../lib/write-atomic.js';

/** Reports: markdown tables, a bar chart (SVG, no dependencies) and the JSON they were drawn from. */

const f = (x: number | null | undefined, d = 4) => (x === null || x === undefined ? '—' : x.toFixed(d));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A grouped bar chart: one group per label, one bar per series, values in [0, 1]. */
function barChartSvg(title: string, groups: string[], series: { name: string; values: number[] }[]): string {
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
  const W = 120 + groups.length * (series.length * 22 + 30);
  const H = 300;
  const top = 40;
  const base = 240;
  const h = base - top;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`, `<text x="10" y="20" font-size="14">${esc(title)}</text>`];
  for (let t = 0; t <= 1.0001; t += 0.25) {
    const y = base - t * h;
    parts.push(`<line x1="50" x2="${W - 10}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="20" y="${y + 4}">${t.toFixed(2)}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = 60 + gi * (series.length * 22 + 30);
    series.forEach((s, si) => {
      const v = Math.max(0, Math.min(1, s.values[gi] ?? 0));
      parts.push(`<rect x="${x0 + si * 22}" y="${base - v * h}" width="18" height="${v * h}" fill="${colors[si % colors.length]}"><title>${esc(`${s.name} ${g}: ${v.toFixed(3)}`)}</title></rect>`);
    });
    parts.push(`<text x="${x0}" y="${base + 15}">${esc(g)}</text>`);
  });
  series.forEach((s, si) => parts.push(`<rect x="${60 + si * 130}" y="${H - 25}" width="10" height="10" fill="${colors[si % colors.length]}"/><text x="${75 + si * 130}" y="${H - 16}">${esc(s.name)}</text>`));
  parts.push('</svg>');
  return parts.join('\n');
}

/** The ablation table: one row per recommender × variant. */
export function exprxrecMarkdown(results: VariantResult[]): string {
  const lines = [
    '| recommender | background | n | P micro | R micro | F1 micro | P macro | R macro | F1 macro | Hits@1 | Hits@3 | Hits@10 | ROUGE-1 | ROUGE-2 | ROUGE-L |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const metrics = [
      r.prf.micro.precision, r.prf.micro.recall, r.prf.micro.f1,
      r.prf.macro.precision, r.prf.macro.recall, r.prf.macro.f1,
      r.hits.at1, r.hits.at3, r.hits.at10,
      r.rouge?.rouge1, r.rouge?.rouge2, r.rouge?.rougeL,
    ].map((x) => f(x, 3));
    lines.push(`| ${r.recommender} | ${r.variant} | ${r.examples} | ${metrics.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The MIMIC table: one row per method, means over repeats with their spread. */
export function mimicMarkdown(r: MimicReport): string {
  const pm = (m: RepeatedResult, k: 'jaccard' | 'f1' | 'prauc') => (r.repeats.length > 1 ? `${f(m[k])} ± ${f(m.spread[k])}` : f(m[k]));
  const table = (rows: RepeatedResult[]) => [
    '| method | Jaccard | F1 | PRAUC | DDI rate | precision | recall | avg #drugs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((m) => `| ${m.name} | ${pm(m, 'jaccard')} | ${pm(m, 'f1')} | ${pm(m, 'prauc')} | ${f(m.ddi_rate)} | ${f(m.precision)} | ${f(m.recall)} | ${m.avg_drugs.toFixed(1)} |`),
  ].join('\n');
  const parts = [`ATC level 3 (standard SafeDrug/GAMENet protocol); ground-truth DDI rate ${f(r.groundTruthDdiRate)}.${r.repeats.length > 1 ? ` Means ± standard deviation over ${r.repeats.length} cross-validation repeats.` : ''}`, '', table(r.methods)];
  if (r.kedrecWins.length && r.repeats.length > 1) parts.push('', `kedrec beat ${r.kedrecWins.map((w) => `${w.baseline} in ${w.jaccard}/${w.of} repeats on Jaccard and ${w.f1}/${w.of} on F1`).join('; ')}.`);
  if (r.ablations.length) parts.push('', 'Ablation (ATC3):', '', table(r.ablations));
  if (r.drugbank) parts.push('', 'DrugBank level (DDI rate from the KB\'s DeepDDI interactions):', '', table(r.drugbank));
  return parts.join('\n');
}

/** Writes report.md, report.json and the chart(s) into a directory. */
export function writeReport(dir: string, parts: { exprxrec?: VariantResult[]; mimic?: MimicReport; commands?: string[]; seconds?: number }): string[] {
  const files: string[] = [];
  const md: string[] = ['# KEDRec evaluation', ''];
  if (parts.commands?.length) md.push('Command:', '', '```', ...parts.commands, '```', '');
  if (parts.exprxrec) {
    const results = parts.exprxrec;
    const variants = [...new Set(results.map((r) => r.variant))];
    const recs = [...new Set(results.map((r) => r.recommender))];
    const svg = barChartSvg(
      'expRxRec drug selection: F1 (micro) by background variant',
      variants,
      recs.map((name) => ({ name, values: variants.map((v) => results.find((r) => r.recommender === name && r.variant === v)?.prf.micro.f1 ?? 0) })),
    );
    writeAtomic(path.join(dir, 'exprxrec-f1.svg'), svg);
    files.push(path.join(dir, 'exprxrec-f1.svg'));
    md.push('## expRxRec: drug selection and rationale (test split)', '', exprxrecMarkdown(parts.exprxrec), '', '![F1 by variant](exprxrec-f1.svg)', '');
  }
  if (parts.mimic) {
    const m = parts.mimic;
    const metrics = ['jaccard', 'f1', 'prauc', 'ddi_rate'] as const;
    const svg = barChartSvg('MIMIC-III (ATC3): methods by metric', [...metrics], m.methods.map((x) => ({ name: x.name, values: metrics.map((k) => x[k] ?? 0) })));
    writeAtomic(path.join(dir, 'mimic.svg'), svg);
    files.push(path.join(dir, 'mimic.svg'));
    md.push(
      '## MIMIC-III medication recommendation',
      '',
      `Data: \`${m.data}\`${m.train ? `, fitted on \`${m.train}\`` : ''}. Protocol: ${m.protocol}.`,
      `Visits kept: ${m.load.test.visitsKept} of ${m.load.test.patients} patients; ${m.kbEvidence.withIndications}/${m.kbEvidence.icd9Codes} ICD9 codes link to graph indications.`,
      '',
      mimicMarkdown(m),
      '',
      '![MIMIC methods](mimic.svg)',
      '',
      '### Methods',
      ...[...m.methods, ...m.ablations].map((x) => `- **${x.name}**: ${x.description}. Parameters (means over fits): \`${JSON.stringify(x.params)}\``),
      '',
      'kedrec’s features (its parameters are their learned weights):',
      ...KEDREC_FEATURES.map((x) => `- \`${x.name}\`: ${x.description}`),
      '',
    );
  }
  if (parts.seconds !== undefined) md.push(`Run time: ${parts.seconds.toFixed(1)} s.`, '');
  writeAtomic(path.join(dir, 'report.md'), md.join('\n'));
  writeAtomic(
    path.join(dir, 'report.json'),
    JSON.stringify({ exprxrec: parts.exprxrec ?? null, mimic: parts.mimic ?? null, seconds: parts.seconds ?? null }, null, 2) + '\n',
  );
  files.unshift(path.join(dir, 'report.md'), path.join(dir, 'report.json'));
  return files;
}
