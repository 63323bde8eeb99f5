import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeAgent } from '../../agent/index.js';
import { createApp } from '../../server/app.js';
import { silentLogger } from '../../server/log.js';
import { listen } from '../fixtures/listen.js';
import { scriptedAgent } from '../fixtures/scripted-agent.js';
import { openTestDeps } from '../fixtures/serve-deps.js';

const CHROMIUM = process.env.KEDREC_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const outDir = path.resolve('test-output');

if (!haveChromium) {
  // Visible in the run output, not only as a silent skip.
  process.stderr.write(`[web-chat] SKIPPED: no Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\` (or set KEDREC_CHROMIUM)\n`);
}

/** The page served by the chat API over `agent`, in headless Chromium. */
async function servePage(agent: Parameters<typeof createApp>[0]['agent'], checkKb: () => Promise<void> = async () => {}) {
  const { app } = createApp({
    agent,
    checkKb,
    options: { allowedHosts: ['localhost', '127.0.0.1'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 100_000 },
    log: silentLogger,
  });
  const server = await listen(app);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { server, browser };
}

/** Opens the chat page, collecting console and page errors (a test ends by asserting there were none). */
async function openChat(browser: Browser, url: string) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(url);
  return { page, consoleErrors };
}

describe.skipIf(!haveChromium)(`web chat page in headless Chromium${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium)`}`, () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    ({ server, browser } = await servePage(scriptedAgent({ delayMs: 15 })));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('holds a two-turn conversation: tool steps stream, cards show evidence links, the added medication raises the interaction warning', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);

    await page.getByTestId('input').fill('Patient with type 2 diabetes, what should we start?');
    await page.getByTestId('send').click();
    // A tool step is visible before the turn is done: streaming, not one response at the end.
    await page.getByTestId('tool-step').first().waitFor();
    const first = page.getByTestId('assistant').nth(0);
    await first.and(page.locator('[data-done="true"]')).waitFor();
    await expect.poll(() => first.getByTestId('recommendation').count()).toBe(2);
    expect(await first.getByTestId('recommendation').first().textContent()).toContain('Metformin (DB00331)');
    // The structured case is shown, so the user sees what was understood.
    expect(await first.getByTestId('case').textContent()).toMatch(/Conditions\s*type 2 diabetes mellitus/);
    expect(await first.getByTestId('case').textContent()).toMatch(/Current medications\s*none read/);
    const hrefs = await first.getByTestId('evidence-link').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toContain('https://clinicaltrials.gov/study/NCT00000620');
    expect(hrefs).toContain('https://pubmed.ncbi.nlm.nih.gov/9742976/');
    expect(await first.getByTestId('warning').count()).toBe(0);

    await page.getByTestId('input').fill('She also takes warfarin.');
    await page.getByTestId('send').click();
    const second = page.getByTestId('assistant').nth(1);
    await second.and(page.locator('[data-done="true"]')).waitFor();
    const warning = second.getByTestId('warning').first();
    await warning.waitFor();
    expect(await warning.isVisible()).toBe(true);
    expect(await warning.textContent()).toContain('Warfarin + Metformin');
    // Same conversation: the second answer still knows the diagnosis from the first turn.
    expect(await second.getByTestId('answer-text').textContent()).toContain('type 2 diabetes mellitus with current medications warfarin');
    expect(await second.getByTestId('case').textContent()).toMatch(/Current medications\s*warfarin/i);
    expect(await second.getByTestId('tool-step').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('check_interactions')]));

    fs.mkdirSync(outDir, { recursive: true });
    const shot = path.join(outDir, 'web-chat-two-turns.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    expect(consoleErrors, consoleErrors.join("\n")).toEqual([]);
  }, 60_000);
});

/**
 * The same page over the real evidence-only agent and the KB built from ../shared/data: what a
 * clinician sees without a model. Nothing here is fixture text; the cards must render what the
 * recommender and the safety checks actually produce.
 */
describe.skipIf(!haveChromium)(`web chat page over the real evidence-only agent${haveChromium ? '' : ' (skipped: no Chromium)'}`, () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof listen>>;
  let deps: ReturnType<typeof openTestDeps>;

  beforeAll(async () => {
    deps = openTestDeps(inject('kbPath'));
    ({ server, browser } = await servePage(makeAgent({ model: null, deps: deps.toolDeps, log: () => {} }), deps.checkKb));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await deps?.close();
  });

  it('shows KB-backed cards for type 2 diabetes, then an interaction warning once warfarin is mentioned', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);

    await page.getByTestId('input').fill('Patient with type 2 diabetes, what should we start?');
    await page.getByTestId('send').click();
    const first = page.getByTestId('assistant').nth(0);
    await first.and(page.locator('[data-done="true"]')).waitFor();
    expect(await first.textContent()).toContain('Evidence-only mode');
    const cards = await first.getByTestId('recommendation').allTextContents();
    expect(cards.length).toBeGreaterThanOrEqual(3);
    // First-line therapy first, and every card is a drug the graph records for the condition.
    expect(cards[0]).toContain('Metformin (DB00331)');
    const indicated = await deps.graph.indicatedDrugs('DOID:9352', { limit: 200 });
    const ids = new Set(indicated.drugs.map((d) => d.drug.id));
    for (const c of cards) expect([...ids].some((id) => c.includes(`(${id})`)), c).toBe(true);
    const hrefs = await first.getByTestId('evidence-link').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs.some((h) => /^https:\/\/clinicaltrials\.gov\/study\/NCT\d{8}$/.test(h))).toBe(true);

    await page.getByTestId('input').fill('She also takes warfarin.');
    await page.getByTestId('send').click();
    const second = page.getByTestId('assistant').nth(1);
    await second.and(page.locator('[data-done="true"]')).waitFor();
    expect(await second.getByTestId('answer-text').textContent()).toContain('Warfarin (DB00682)');
    // Warfarin is taken into account: either a shown drug carries the interaction warning, or the
    // cards say each drug was checked against it (the recommender ranks interacting drugs down).
    const warnings = await second.getByTestId('warning').allTextContents();
    const cards2 = await second.getByTestId('recommendation').allTextContents();
    expect(warnings.some((w) => /Warfarin/.test(w) && /interaction/i.test(w)) || cards2.every((c) => /checked against[^.]*current Warfarin/.test(c)), [...warnings, ...cards2].join('\n')).toBe(true);

    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'web-chat-evidence-only.png'), fullPage: true });
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('lists what the safety engine left out, with the rule\'s citation, and what changed after a new fact', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    await page.getByTestId('input').fill('Type 2 diabetes, what should we start?');
    await page.getByTestId('send').click();
    const first = page.getByTestId('assistant').nth(0);
    await first.and(page.locator('[data-done="true"]')).waitFor();
    expect(await first.getByTestId('recommendation').first().textContent()).toContain('Metformin (DB00331)');
    await page.getByTestId('input').fill('Her eGFR is 22.');
    await page.getByTestId('send').click();
    const second = page.getByTestId('assistant').nth(1);
    await second.and(page.locator('[data-done="true"]')).waitFor();
    const cards = await second.getByTestId('recommendation').allTextContents();
    expect(cards.some((c) => c.includes('Metformin (DB00331)'))).toBe(false);
    const excluded = second.getByTestId('excluded-drug').filter({ hasText: 'Metformin' });
    expect(await excluded.textContent()).toMatch(/Contraindicated: .*eGFR 22/);
    expect(await excluded.getByRole('link').getAttribute('href')).toMatch(/^https:\/\//);
    expect(await second.getByTestId('changes').textContent()).toMatch(/Metformin was recommended before and is now left out/);
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);
});
