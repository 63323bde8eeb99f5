import { readSourceText, SourceFormatError } from './table.js';

interface PubTatorAnnotation {
  start: number;
  end: number;
  text: string;
  type: string;
  /** MeSH descriptor IDs; composite mentions carry several, `-1` (unnormalised) gives none. */
  meshIds: string[];
}

/** One BioCreative V CDR document in PubTator format. */
export interface PubTatorDocument {
  pmid: string;
  title: string;
  abstract: string;
  annotations: PubTatorAnnotation[];
  /** Chemical-induced-disease relations: (chemical MeSH, disease MeSH). */
  relations: { chemical: string; disease: string }[];
  line: number;
}

/**
 * Reads a PubTator file: per document a `PMID|t|title` line, a `PMID|a|abstract` line, then
 * tab-separated mention lines (PMID, start, end, text, type, MeSH[, parts]) and relation lines
 * (PMID, CID, chemical, disease), documents separated by blank lines.
 */
export function readPubTator(file: string): PubTatorDocument[] {
  const lines = readSourceText(file).split('\n');
  const docs: PubTatorDocument[] = [];
  let cur: PubTatorDocument | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const lineNo = i + 1;
    if (raw.trim() === '') {
      cur = null;
      continue;
    }
    const tm = /^(\d+)\|([ta])\|(.*)$/.exec(raw);
    if (tm) {
      if (tm[2] === 't') {
        cur = { pmid: tm[1], title: tm[3].trim(), abstract: '', annotations: [], relations: [], line: lineNo };
        docs.push(cur);
      } else {
        if (!cur || cur.pmid !== tm[1]) throw new SourceFormatError(file, lineNo, `an abstract line following the title line of PMID ${tm[1]}`, raw);
        cur.abstract = tm[3].trim();
      }
      continue;
    }
    const f = raw.split('\t');
    if (!cur || f[0] !== cur.pmid) throw new SourceFormatError(file, lineNo, 'a mention or relation line of the current document', raw);
    if (f[1] === 'CID' && f.length >= 4) {
      cur.relations.push({ chemical: f[2].trim(), disease: f[3].trim() });
    } else if (f.length >= 6 && /^\d+$/.test(f[1]) && /^\d+$/.test(f[2])) {
      cur.annotations.push({
        start: Number(f[1]),
        end: Number(f[2]),
        text: f[3],
        type: f[4],
        meshIds: f[5].split('|').map((s) => s.trim()).filter((s) => /^[CD]\d+$/.test(s)),
      });
    } else {
      throw new SourceFormatError(file, lineNo, 'PMID<TAB>start<TAB>end<TAB>text<TAB>type<TAB>MeSH, or PMID<TAB>CID<TAB>chemical<TAB>disease', raw);
    }
  }
  return docs;
}

/** The BC5CDR PubTator files and the split each holds (the training file includes dev). */
export const BC5CDR_FILES = [
  { file: 'CDR_TrainingSet.PubTator.txt', split: 'train' },
  { file: 'CDR_DevelopmentSet.PubTator.txt', split: 'dev' },
  { file: 'CDR_TestSet.PubTator.txt', split: 'test' },
] as const;
