import dns from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { buildStudiesSearchUrl, buildStudyUrl, CtgovClient, CtgovFormatError, parseStudiesPage, parseStudy } from '../../kb/live/ctgov.js';
import { HttpClient, kedrecUserAgent } from '../../kb/live/http.js';
import { apiFixture, hasApiFixtures } from './corpus-helpers.js';

describe('ClinicalTrials.gov v2: request construction', () => {
  it('builds /studies with query.cond, query.intr, filter.overallStatus and phase via filter.advanced', () => {
    const u = new URL(buildStudiesSearchUrl({ condition: 'breast cancer', intervention: 'metformin', status: ['RECRUITING', 'COMPLETED'], phase: ['PHASE2', 'PHASE3'], pageSize: 5 }));
    expect(u.origin + u.pathname).toBe('https://clinicaltrials.gov/api/v2/studies');
    expect(u.searchParams.get('query.cond')).toBe('breast cancer');
    expect(u.searchParams.get('query.intr')).toBe('metformin');
    expect(u.searchParams.get('filter.overallStatus')).toBe('RECRUITING,COMPLETED');
    expect(u.searchParams.get('filter.advanced')).toBe('AREA[Phase](PHASE2 OR PHASE3)');
    expect(u.searchParams.get('filter.phase')).toBeNull(); // v2 answers 400 to it
    expect(u.searchParams.get('pageSize')).toBe('5');
    expect(u.searchParams.get('countTotal')).toBe('true');
  });

  it('pages with pageToken and bounds pageSize', () => {
    const u = new URL(buildStudiesSearchUrl({ term: 'x', pageToken: 'TOKEN', pageSize: 5000 }));
    expect(u.searchParams.get('pageToken')).toBe('TOKEN');
    expect(u.searchParams.get('countTotal')).toBeNull();
    expect(u.searchParams.get('pageSize')).toBe('1000');
    expect(buildStudyUrl('NCT02576665')).toBe('https://clinicaltrials.gov/api/v2/studies/NCT02576665?format=json');
    expect(() => buildStudyUrl('NCT1; DROP')).toThrow(/not an NCT ID/);
  });
});

describe.skipIf(!hasApiFixtures)('ClinicalTrials.gov v2: parsing recorded responses (skipped when ../shared/fixtures/api is absent)', () => {
  it('parses a search page with totalCount and nextPageToken', () => {
    const p = parseStudiesPage(JSON.parse(apiFixture('ctgov__search-cond-page1-totalcount-nextpagetoken__biomcp.json')), ['oxytocin']);
    expect(p.totalCount).toBe(21);
    expect(p.nextPageToken).toMatch(/^\S+$/);
    const s = p.studies.find((x) => x.nctId === 'NCT02710084')!;
    expect(s).toMatchObject({ title: 'Piloting Treatment With Intranasal Oxytocin in Phelan-McDermid Syndrome', phase: 'PHASE2', status: 'COMPLETED', origin: 'live', conditions: ['Phelan-McDermid Syndrome'] });
    expect(s.interventions).toEqual(['Oxytocin', 'Saline']);
    expect(s.snippet).toContain('**oxytocin**');
  });

  it('parses the second page (no totalCount) and the status-filtered and intervention searches', () => {
    const p2 = parseStudiesPage(JSON.parse(apiFixture('ctgov__search-cond-page2-via-pagetoken__biomcp.json')));
    expect(p2.totalCount).toBeNull();
    expect(p2.studies.length).toBeGreaterThan(0);
    const rec = parseStudiesPage(JSON.parse(apiFixture('ctgov__search-cond-status-filter__biomcp.json')));
    expect(rec.studies.every((s) => s.status === 'RECRUITING')).toBe(true);
    const intr = parseStudiesPage(JSON.parse(apiFixture('ctgov__search-intr-totalcount__biomcp.json')));
    expect(intr.totalCount).toBeGreaterThan(0);
  });

  it('parses a single study and the full study with results', () => {
    const s = parseStudy(JSON.parse(apiFixture('ctgov__study-get-fields-filtered__biomcp.json')));
    expect(s).toMatchObject({ nctId: 'NCT02576665', status: 'TERMINATED' });
    const full = parseStudiesPage(JSON.parse(apiFixture('ctgov__search-wrapped-full-study-with-results__biomcp-py.json'))).studies[0];
    expect(full.nctId).toBe('NCT04280705');
    expect(full.criteria.length).toBeGreaterThan(100);
    expect(full.outcomeMeasures.length).toBeGreaterThan(0);
  });

  it('rejects a response that is not the documented shape', () => {
    expect(() => parseStudiesPage({ error: 'x' })).toThrow(CtgovFormatError);
    expect(() => parseStudy({ protocolSection: {} })).toThrow(/nctId/);
  });
});

const online = await dns.lookup('clinicaltrials.gov').then(() => true, () => false);
if (!online) console.warn('[live-ctgov] live ClinicalTrials.gov tests skipped: no network (clinicaltrials.gov does not resolve)');

describe.skipIf(!online)('ClinicalTrials.gov v2: live (skipped without network)', () => {
  it('searches and fetches a study', async () => {
    const c = new CtgovClient({ http: new HttpClient({ userAgent: kedrecUserAgent() }) });
    const r = await c.search({ condition: 'Phelan-McDermid', limit: 2 });
    expect(r.studies.length).toBeGreaterThan(0);
    expect(await c.getStudy(r.studies[0].nctId)).toMatchObject({ nctId: r.studies[0].nctId });
  });
});
