import dns from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { buildEfetchUrl, buildEsearchUrl, EutilsClient, EutilsFormatError, parseEfetchXml, parseEsearch } from '../../kb/live/eutils.js';
import { HttpClient, kedrecUserAgent } from '../../kb/live/http.js';
import { parseXml, textOf, XmlError } from '../../kb/live/xml.js';
import { apiFixture, hasApiFixtures } from './corpus-helpers.js';

const id = { tool: 'kedrec', email: 'dev@example.org', apiKey: 'KEY' };

describe('E-utilities: request construction', () => {
  it('builds esearch JSON requests with tool, email, api_key and a publication-date range', () => {
    const u = new URL(buildEsearchUrl({ term: 'famotidine AND delirium', retmax: 5, yearFrom: 2000, yearTo: 2010 }, id));
    expect(u.pathname).toBe('/entrez/eutils/esearch.fcgi');
    expect(Object.fromEntries(u.searchParams)).toMatchObject({
      db: 'pubmed', term: 'famotidine AND delirium', retmode: 'json', retmax: '5', sort: 'relevance',
      datetype: 'pdat', mindate: '2000', maxdate: '2010', tool: 'kedrec', email: 'dev@example.org', api_key: 'KEY',
    });
    expect(() => buildEsearchUrl({ term: '  ' }, id)).toThrow(/non-empty/);
  });

  it('builds efetch XML requests for numeric PMIDs only', () => {
    const u = new URL(buildEfetchUrl(['123', '456'], { tool: 'kedrec' }));
    expect(Object.fromEntries(u.searchParams)).toEqual({ db: 'pubmed', id: '123,456', retmode: 'xml', rettype: 'abstract', tool: 'kedrec' });
    expect(() => buildEfetchUrl(['12a'], id)).toThrow(/numeric PMIDs/);
  });
});

describe('XML reader (fast-xml-parser)', () => {
  it('reads elements, attributes, entities, CDATA and inline markup', () => {
    const el = parseXml('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a k="1&amp;2"><b>H<sub>2</sub>O &#x2019; &lt;</b><![CDATA[<raw>]]><!-- c --></a>');
    expect(el.attrs.k).toBe('1&2');
    expect(textOf(el)).toBe('H2O ’ <<raw>');
    expect(() => parseXml('<a><b></a>')).toThrow(XmlError);
    expect(() => parseXml('<a>')).toThrow(/unclosed/i);
  });

  it('keeps values as strings and refuses external entities', () => {
    expect(parseXml('<PMID Version="1">00123</PMID>').attrs.Version).toBe('1');
    expect(textOf(parseXml('<PMID>00123</PMID>'))).toBe('00123');
    expect(() => parseXml('<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>')).toThrow(XmlError);
  });
});

describe.skipIf(!hasApiFixtures)('E-utilities: parsing recorded responses (skipped when ../shared/fixtures/api is absent)', () => {
  it('parses esearch results, translations and phrases not found', () => {
    expect(parseEsearch(JSON.parse(apiFixture('ncbi__esearch-json-small__biomcp.json')))).toMatchObject({ count: 3, ids: ['32150788', '29373119', '17427195'] });
    const t = parseEsearch(JSON.parse(apiFixture('ncbi__esearch-json-translationset-phrasesnotfound__biomcp.json')));
    expect(t.count).toBe(40362);
    expect(t.ids).toHaveLength(100);
    expect(t.phrasesNotFound).toEqual(['p.E1317Q']);
  });

  it('turns the rate-limit error body into an error, not an empty result', () => {
    expect(() => parseEsearch(JSON.parse(apiFixture('ncbi__error-429-rate-limit-esummary__biomcp.json')))).toThrow(/API rate limit exceeded/);
  });

  it('parses labelled abstract sections with NlmCategory and MeSH headings', () => {
    const [a] = parseEfetchXml(apiFixture('ncbi__efetch-pubmed-labelled-abstract-mesh__biomcp.xml'), ['trial']);
    expect(a.pmid).toBe('22663011');
    expect(a.sections.map((s) => s.label)).toEqual(['BACKGROUND', 'METHODS', 'RESULTS', 'CONCLUSIONS']);
    expect(a.abstract).toMatch(/^BACKGROUND: /);
    expect(a.mesh.length).toBeGreaterThan(0);
    expect(a.concepts[0].meshId).toMatch(/^D\d+$/);
    expect(a.year).toBeGreaterThan(1990);
    expect(a).toMatchObject({ origin: 'live', url: 'https://pubmed.ncbi.nlm.nih.gov/22663011/' });
  });

  it('keeps labels without NlmCategory and handles articles without an abstract', () => {
    const [g] = parseEfetchXml(apiFixture('ncbi__efetch-pubmed-labels-without-nlmcategory__pubmed-client.xml'));
    expect(g.sections[0]).toMatchObject({ label: 'UPDATES' });
    expect(g.year).toBe(2020);
    expect(g.journal).toBe('BMJ (Clinical research ed.)');
    expect(g.title).toBe('A living WHO guideline on drugs for covid-19.');
    const [c] = parseEfetchXml(apiFixture('ncbi__efetch-pubmed-no-abstract-comment__pubmed-client.xml'));
    expect(c).toMatchObject({ pmid: '27350240', abstract: '', sections: [], year: 2016 });
    expect(c.mesh).toEqual(['Motion Perception', 'Neurosciences']);
  });

  it('rejects XML that is not a PubmedArticleSet', () => {
    expect(() => parseEfetchXml('<eFetchResult><ERROR>bad</ERROR></eFetchResult>')).toThrow(EutilsFormatError);
    expect(() => parseEfetchXml('<PubmedArticleSet><x>')).toThrow(/malformed XML/);
  });
});

const online = await dns.lookup('eutils.ncbi.nlm.nih.gov').then(() => true, () => false);
if (!online) console.warn('[live-eutils] live E-utilities tests skipped: no network (eutils.ncbi.nlm.nih.gov does not resolve)');

describe.skipIf(!online)('E-utilities: live (skipped without network)', () => {
  it('searches PubMed and fetches abstracts', async () => {
    const c = new EutilsClient({ http: new HttpClient({ userAgent: kedrecUserAgent() }), identity: { tool: 'kedrec-tests' } });
    const r = await c.search({ term: 'famotidine delirium', retmax: 2 });
    expect(r.articles.length).toBeGreaterThan(0);
  });
});
