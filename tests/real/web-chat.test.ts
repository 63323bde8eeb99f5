import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeAgent } from '../../agent/index.js';
import type { ChatAgent, ChatEvent, FinalAnswer } from '../../agent/types.js';
import { createApp } from '../../server/app.js';
import { silentLogger } from '../../lib/log.js';
import { listen } from '../../lib/net.js';
import { scriptedAgent } from '../../agent/scripted-agent.js';
import { openTestDeps } from '../fixtures/serve-deps.js';

const CHROMIUM = process.env.KEDREC_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const outDir = path.resolve('test-output');
const shotDir = path.join(outDir, 'screenshots');

if (!haveChromium) {
  // Visible in the run output, not only as a silent skip.
  process.stderr.write(`[web-chat] SKIPPED: no Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\` (or set KEDREC_CHROMIUM)\n`);
}

/** The chat API over `agent` on a local port. */
async function serveAgent(agent: ChatAgent, checkKb: () => Promise<void> = async () => {}) {
  const { app } = createApp({
    agent,
    checkKb,
    options: { allowedHosts: ['localhost', '127.0.0.1'], corsOrigins: [], rateLimitPerMin: 0, maxBodyBytes: 100_000 },
    log: silentLogger,
  });
  return listen(app);
}

function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the chat page, collecting console and page errors (a test ends by asserting there were none). */
async function openChat(browser: Browser, url: string, viewport = { width: 1200, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(url);
  return { page, consoleErrors };
}

/** Sends one message and waits for the answer it produces (the nth on the page). */
async function ask(page: Page, message: string): Promise<Locator> {
  const n = await page.getByTestId('assistant').count();
  await page.getByTestId('input').fill(message);
  await page.getByTestId('send').click();
  const answer = page.getByTestId('assistant').nth(n);
  await answer.and(page.locator('[data-done="true"]')).waitFor();
  return answer;
}

/** How often `needle` occurs in the page's visible text. */
async function occurrences(page: Page, needle: string): Promise<number> {
  const text = await page.locator('main').innerText();
  return text.split(needle).length - 1;
}

/**
 * A model-mode agent for one scripted turn: it streams the model's text, then a final answer whose
 * text carries the code's safety lines, and whose one card's rationale is a line of that text.
 */
function modelModeAgent(): ChatAgent {
  const line = 'Metformin is first-line for type 2 diabetes [NCT00000620] and lowers hepatic glucose output.';
  const modelText = `For type 2 diabetes:\n1. ${line}\n2. ~~Glibenclamide~~ **[removed by the safety check: contraindicated]**`;
  const answer = (threadId: string): FinalAnswer => ({
    threadId,
    mode: 'model',
    case: { conditions: ['type 2 diabetes mellitus (DOID:9352)'], currentMedications: [], allergies: [] },
    recommendations: [
      {
        rank: 1,
        drug: { id: 'DB00331', name: 'Metformin' },
        summary: 'First-line for type 2 diabetes',
        rationale: line,
        evidence: [{ type: 'trial', id: 'NCT00000620', url: 'https://clinicaltrials.gov/study/NCT00000620', snippet: 'Phase 3 trial of intensive glycemic control in type 2 diabetes [PHASE3, COMPLETED]', source: 'ClinicalTrials.gov', license: 'public domain' }],
        warnings: [],
      },
    ],
    excluded: [],
    changes: [],
    text: `${modelText}\n\nSafety check (by code):\n- Glibenclamide removed — contraindicated: test rule`,
    warnings: [{ kind: 'contraindication', message: "Glibenclamide was removed from the model's recommendations: test rule", severity: 'contraindicated' }],
    removedCitations: [],
    notices: [],
    disclaimer: 'Research use only.',
  });
  async function* stream(input: { threadId: string }): AsyncGenerator<ChatEvent> {
    for (const word of modelText.split(/(?<= )/)) {
      await new Promise((r) => setTimeout(r, 2));
      yield { type: 'token', text: word };
    }
    yield { type: 'final', answer: answer(input.threadId) };
  }
  return {
    stream,
    invoke: async (input) => answer(input.threadId),
    getThread: async () => null,
    deleteThread: async () => false,
    modelStatus: async () => ({ mode: 'model', provider: 'scripted' }),
  };
}

describe.skipIf(!haveChromium)(`web chat page in headless Chromium${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium)`}`, () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof listen>>;
  let modelServer: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    server = await serveAgent(scriptedAgent({ delayMs: 15 }));
    modelServer = await serveAgent(modelModeAgent());
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await modelServer?.close();
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
    // The answer-level copy of the card's warning is not shown again.
    expect(await second.getByTestId('warning').count()).toBe(1);
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

  it('sends once when Enter is pressed again while a turn is in flight; Shift+Enter adds a line', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/v1/chat') && posts.push(r.postData() ?? ''));
    // The turn is held in flight until the second Enter has been pressed: on a fast or a loaded
    // machine alike, the presses happen while the turn runs.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/v1/chat', async (route) => {
      await held;
      await route.continue();
    });
    const input = page.getByTestId('input');
    await input.fill('Patient with type 2 diabetes, what should we start?');
    await input.press('Enter');
    // The turn is running: Send is disabled and a second Enter sends nothing.
    await expect.poll(() => page.getByTestId('send').isDisabled()).toBe(true);
    await input.fill('She also takes warfarin.');
    await input.press('Enter');
    await input.press('Enter');
    release();
    await page.getByTestId('assistant').first().and(page.locator('[data-done="true"]')).waitFor();
    expect(posts).toHaveLength(1);
    expect(await page.getByTestId('user-message').count()).toBe(1);
    // What was typed meanwhile is kept for the next turn.
    expect(await input.inputValue()).toBe('She also takes warfarin.');
    expect(await page.getByTestId('send').isDisabled()).toBe(false);
    await input.press('Shift+Enter');
    expect(await input.inputValue()).toBe('She also takes warfarin.\n');
    expect(posts).toHaveLength(1);
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('is labelled for assistive technology: named textarea and buttons, landmarks, aria-busy while working', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    expect(await page.getByRole('textbox', { name: 'Case or follow-up question' }).count()).toBe(1);
    expect(await page.getByRole('banner').count()).toBe(1);
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('form', { name: 'Message' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Send' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: /New case/ }).count()).toBe(1);
    await page.getByTestId('input').fill('Patient with type 2 diabetes, what should we start?');
    await page.getByTestId('send').click();
    const first = page.getByTestId('assistant').first();
    // Progress shows at once, before any tool reports, on an answer marked busy.
    expect(await first.getAttribute('aria-busy')).toBe('true');
    expect(await first.locator('.steps').textContent()).toMatch(/Read(ing)? the case/);
    await first.and(page.locator('[data-done="true"]')).waitFor();
    expect(await first.getAttribute('aria-busy')).toBe('false');
    // Every control has a name; the correction controls say what they do.
    const unnamed = await page.locator('button, a[href]').evaluateAll((xs) => xs.filter((x) => !(x.getAttribute('aria-label') || x.textContent || '').trim()).length);
    expect(unnamed).toBe(0);
    expect(await first.getByRole('button', { name: /Not correct: remove type 2 diabetes mellitus from conditions/ }).count()).toBe(1);
    // Keyboard: Tab from the message box reaches Send.
    await page.getByTestId('input').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('send');
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('model mode: the checked text once (without the safety lines shown as sections), the card does not repeat it', async () => {
    const { page, consoleErrors } = await openChat(browser, modelServer.url);
    const answer = await ask(page, 'Type 2 diabetes, what should we start?');
    const text = (await answer.getByTestId('answer-text').textContent()) ?? '';
    expect(text).toContain('Metformin is first-line for type 2 diabetes');
    expect(text).not.toContain('Safety check (by code)');
    // The safety check's strike-through is kept as a strike-through, and the citation is a named link.
    expect(await answer.getByTestId('answer-text').locator('s').textContent()).toBe('Glibenclamide');
    expect(await answer.getByTestId('answer-text').getByTestId('cite').textContent()).toBe('NCT00000620');
    expect(await occurrences(page, 'lowers hepatic glucose output')).toBe(1);
    expect(await answer.getByTestId('recommendation').textContent()).toContain('The reasoning is in the answer text above');
    expect(await answer.getByTestId('mode-badge').count()).toBe(0);
    expect(await answer.getByTestId('model-badge').textContent()).toMatch(/language model.*checked by the safety rules/);
    expect(await occurrences(page, "Glibenclamide was removed from the model's recommendations")).toBe(1);
    fs.mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: path.join(shotDir, 'model-mode-1200.png'), fullPage: true });
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
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
    server = await serveAgent(makeAgent({ model: null, deps: deps.toolDeps }), deps.checkKb);
    browser = await launchChromium();
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
    // The evidence-only text is not shown (the cards are that answer); the case panel shows warfarin.
    expect(await second.getByTestId('case').textContent()).toMatch(/Current medications\s*Warfarin/);
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

  it('says nothing twice: no evidence-only text block, one mode badge, each interaction warning once', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    const answer = await ask(page, 'Atrial fibrillation, takes amiodarone and simvastatin. What anticoagulant?');
    expect(await answer.getByTestId('recommendation').count()).toBeGreaterThan(0);
    // The assembled evidence-only text repeats the cards: it is not on the page.
    expect(await answer.getByTestId('answer-text').count()).toBe(0);
    expect(await occurrences(page, 'Evidence-only answer: no language model wrote this')).toBe(0);
    expect(await answer.getByTestId('mode-badge').count()).toBe(1);
    expect((await page.locator('main').innerText()).match(/evidence-only/gi)?.length).toBe(1);
    // The interaction is both an answer-level and a per-drug warning in the structured answer; the page shows it once.
    const interaction = (await answer.getByTestId('warning').allTextContents()).find((w) => /Amiodarone and Dabigatran/.test(w));
    expect(interaction).toBeTruthy();
    expect(await occurrences(page, 'Amiodarone and Dabigatran etexilate: one may raise the serum concentration')).toBe(1);
    // Within a card no flag repeats, and boxed warnings come first.
    for (const card of await answer.getByTestId('recommendation').all()) {
      const flags = await card.getByTestId('warning').allTextContents();
      expect(new Set(flags).size, flags.join('\n')).toBe(flags.length);
      const kinds = await card.getByTestId('warning').evaluateAll((xs) => xs.map((x) => x.classList.contains('boxed')));
      expect(kinds.indexOf(false) === -1 || kinds.lastIndexOf(true) < kinds.indexOf(false)).toBe(true);
    }
    // A notice that qualifies the whole answer is said once, before the cards.
    expect(await occurrences(page, 'Listing anticoagulants (all) only')).toBe(1);
    expect(await answer.locator('.notes + .layout, .notes ~ .layout').count()).toBe(1);
    // The already-taken drug is listed, collapsed with a count, never hidden.
    const other = answer.getByTestId('excluded-other');
    expect(await other.locator('summary').textContent()).toMatch(/1 already taken/);
    expect(await other.textContent()).toContain('Amiodarone');
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('names evidence for people: no knowledge-graph ids as link text, guideline and trial titles instead', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    const answer = await ask(page, 'Patient with type 2 diabetes, what should we start?');
    const links = answer.locator('a[href]');
    const texts = await links.allTextContents();
    expect(texts.length).toBeGreaterThan(10);
    for (const t of texts) expect(t, t).not.toMatch(/-(CtD|CiD|CbG|DaG|CcSE)-|^GUIDELINE:|^RULE:|^DDI:/);
    // Nor as running text in the rationale.
    expect(await answer.textContent()).not.toMatch(/\[(?:DB\d{5}-|GUIDELINE:)/);
    const evidence = await answer.getByTestId('evidence-link').allTextContents();
    expect(evidence.some((t) => /^NCT\d{8}: \S/.test(t)), evidence.join('\n')).toBe(true);
    expect(evidence).toContain('ADA Standards of Care in Diabetes 2025, section 9');
    expect(evidence.some((t) => /^Indication record: physician-curated indication \(PharmacotherapyDB\)$/.test(t)), evidence.join('\n')).toBe(true);
    const mechanism = answer.getByTestId('evidence-link').filter({ hasText: /^Metformin inhibits ND1/ });
    expect(await mechanism.getAttribute('href')).toBe('https://www.ncbi.nlm.nih.gov/gene/4535');
    // The one-line reason and the evidence tier are on the card's face; the rationale is one click away.
    const card = answer.getByTestId('recommendation').first();
    expect(await card.getByTestId('summary').isVisible()).toBe(true);
    expect(await card.getByTestId('tier').textContent()).toBe('Guideline first-line');
    expect(await card.getByTestId('evidence-link').first().isVisible()).toBe(false);
    await card.locator('summary').click();
    expect(await card.getByTestId('evidence-link').first().isVisible()).toBe(true);
    // A boxed warning is the most prominent flag on the card.
    const boxed = card.locator('.warning.boxed');
    expect(await boxed.textContent()).toMatch(/Boxed warning:.*lactic acidosis/);
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('keeps the thread in the URL: a reload restores it and continues it; New starts a clean case', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    const posts: Array<{ thread_id?: string; message: string }> = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/v1/chat') && posts.push(JSON.parse(r.postData() ?? '{}')));
    await ask(page, 'Patient with type 2 diabetes, what should we start?');
    const threadId = new URL(page.url()).searchParams.get('thread');
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.evaluate(() => sessionStorage.getItem('kedrec.thread'))).toBeNull();

    await page.reload();
    const restored = page.getByTestId('assistant').first();
    await restored.and(page.locator('[data-done="true"]')).waitFor();
    expect(await page.getByTestId('user-message').first().textContent()).toContain('Patient with type 2 diabetes');
    expect(await restored.getByTestId('recommendation').first().textContent()).toContain('Metformin (DB00331)');
    expect(await restored.getByTestId('case').textContent()).toMatch(/Conditions\s*type 2 diabetes mellitus/);
    expect(new URL(page.url()).searchParams.get('thread')).toBe(threadId);

    // The next message continues the restored thread: the case keeps the diagnosis and adds the drug.
    const next = await ask(page, 'She also takes warfarin.');
    expect(posts.at(-1)?.thread_id).toBe(threadId);
    expect(await next.getByTestId('case').textContent()).toMatch(/Conditions\s*type 2 diabetes mellitus/);
    expect(await next.getByTestId('case').textContent()).toMatch(/Current medications\s*Warfarin/);

    await page.getByTestId('new').click();
    expect(new URL(page.url()).searchParams.get('thread')).toBeNull();
    expect(await page.getByTestId('assistant').count()).toBe(0);
    const clean = await ask(page, 'Hypertension, what should we start?');
    expect(posts.at(-1)?.thread_id).toBeUndefined();
    const caseText = (await clean.getByTestId('case').textContent()) ?? '';
    expect(caseText).toMatch(/Conditions\s*hypertension/);
    expect(caseText).not.toMatch(/diabetes/i);
    expect(caseText).not.toMatch(/Warfarin/);
    expect(new URL(page.url()).searchParams.get('thread')).not.toBe(threadId);

    // A thread the server no longer has: said so, and the next message starts a new case.
    await page.goto(`${server.url}/?thread=no-such-thread`);
    await page.getByTestId('restore-notice').waitFor();
    expect(new URL(page.url()).searchParams.get('thread')).toBeNull();
    expect(consoleErrors.filter((e) => !/404/.test(e)), consoleErrors.join('\n')).toEqual([]);
  }, 90_000);

  it('corrects the case from its panel: removing an item sends a correction and the next case no longer has it', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    const first = await ask(page, 'Type 2 diabetes, takes warfarin and lisinopril, allergic to penicillin.');
    const meds = first.getByTestId('case').locator('[data-field="currentMedications"]');
    expect(await meds.textContent()).toContain('Warfarin');
    await meds.locator('[data-item="Warfarin"]').getByRole('button').click();
    const second = page.getByTestId('assistant').nth(1);
    await second.and(page.locator('[data-done="true"]')).waitFor();
    expect(await page.getByTestId('user-message').nth(1).textContent()).toContain('The patient is not taking Warfarin.');
    const meds2 = (await second.getByTestId('case').locator('[data-field="currentMedications"]').textContent()) ?? '';
    expect(meds2).not.toContain('Warfarin');
    expect(meds2).toContain('Lisinopril');
    expect(await second.getByTestId('changes').textContent()).toMatch(/No longer in the case: on Warfarin/);
    // Only the newest case takes corrections; the answer it replaces is folded under one line naming its drugs.
    expect(await first.getByTestId('fix').count()).toBe(0);
    expect(await first.locator('details.earlier > summary').textContent()).toMatch(/^Show the earlier answer \(.+\)$/);
    expect(await first.getByTestId('recommendation').first().isVisible()).toBe(false);

    const allergy = second.getByTestId('case').locator('[data-field="allergies"] [data-item]').first();
    const allergen = await allergy.getAttribute('data-item');
    await allergy.getByRole('button').click();
    const third = page.getByTestId('assistant').nth(2);
    await third.and(page.locator('[data-done="true"]')).waitFor();
    expect(await third.getByTestId('case').locator('[data-field="allergies"]').textContent()).toBe('none read');
    expect(await third.getByTestId('case').textContent()).toMatch(/Conditions\s*type 2 diabetes mellitus/);
    expect(allergen).toBeTruthy();

    const condition = third.getByTestId('case').locator('[data-field="conditions"] [data-item="type 2 diabetes mellitus"]');
    await condition.getByRole('button').click();
    const fourth = page.getByTestId('assistant').nth(3);
    await fourth.and(page.locator('[data-done="true"]')).waitFor();
    expect(await fourth.getByTestId('case').locator('[data-field="conditions"]').textContent()).toBe('none read');
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 90_000);

  it('exports an answer as Markdown with the case, reasons, warnings, what was left out and citation URLs', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    const answer = await ask(page, '32-year-old woman, 8 weeks pregnant, with hypertension. Allergic to penicillin.');
    const [download] = await Promise.all([page.waitForEvent('download'), answer.getByTestId('export').click()]);
    expect(download.suggestedFilename()).toMatch(/^kedrec-[0-9a-f]{8}-\d{4}-\d{2}-\d{2}\.md$/);
    const md = fs.readFileSync((await download.path())!, 'utf8');
    expect(md).toContain('## Case as understood');
    expect(md).toMatch(/\*\*Conditions:\*\* hypertension/);
    expect(md).toMatch(/\*\*Pregnancy:\*\* pregnant, 8 weeks/);
    expect(md).toMatch(/### 1\. \S+/);
    expect(md).toContain('**Why:**');
    expect(md).toContain('## Not recommended for this patient');
    expect(md).toMatch(/Losartan.*Avoid unless no alternative.*\(\[FDA label[^\]]*\]\(https:\/\/dailymed\.nlm\.nih\.gov\//);
    expect(md).toMatch(/\[ACOG Practice Bulletin No\. 203, Chronic Hypertension in Pregnancy\]\(https:\/\/doi\.org\//);
    expect(md).toMatch(/\[NCT\d{8}: [^\]]+\]\(https:\/\/clinicaltrials\.gov\/study\/NCT\d{8}\)/);
    expect(md).toMatch(/Not indicated or already taken \(\d+\)/);
    expect(md).not.toMatch(/-(CtD|CiD|CbG|DaG)-/);
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('prints the whole conversation: form and controls hidden, every section expanded; the page scrolls as one document', async () => {
    const { page, consoleErrors } = await openChat(browser, server.url);
    const answer = await ask(page, 'Patient with type 2 diabetes, what should we start?');
    // No inner scroll box: the document itself is taller than the window.
    expect(await page.evaluate(() => document.documentElement.scrollHeight > window.innerHeight)).toBe(true);
    expect(await page.locator('main').evaluate((m) => getComputedStyle(m).overflowY)).toBe('visible');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('form').isVisible()).toBe(false);
    expect(await answer.getByTestId('export').isVisible()).toBe(false);
    expect(await answer.getByTestId('fix').first().isVisible()).toBe(false);
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    expect(await answer.locator('details:not([open])').count()).toBe(0);
    expect(await answer.getByTestId('evidence-link').first().isVisible()).toBe(true);
    // Link targets are printed after links.
    const after = await answer.getByTestId('evidence-link').first().evaluate((a) => getComputedStyle(a, '::after').content);
    expect(after).toMatch(/attr\(href\)|https:\/\//);
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    await page.emulateMedia({ media: 'screen' });
    expect(await answer.locator('details.more[open]').count()).toBe(0);
    expect(await page.locator('form').isVisible()).toBe(true);
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it('screenshots: desktop 1280×900 and mobile 390×844, full page; the mobile header is one line and nothing overflows sideways', async () => {
    fs.mkdirSync(shotDir, { recursive: true });
    for (const [name, viewport] of [['desktop-1280', { width: 1280, height: 900 }], ['mobile-390', { width: 390, height: 844 }]] as const) {
      const { page, consoleErrors } = await openChat(browser, server.url, viewport);
      await page.screenshot({ path: path.join(shotDir, `${name}-empty.png`), fullPage: true });
      await ask(page, '32-year-old woman, 8 weeks pregnant, with hypertension. Allergic to penicillin.');
      const answer = await ask(page, 'Her eGFR is 22.');
      await answer.getByTestId('recommendation').first().locator('summary').click();
      const header = await page.getByRole('banner').boundingBox();
      expect(header!.height, `${name} header height`).toBeLessThanOrEqual(52);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} horizontal overflow`).toBeLessThanOrEqual(viewport.width);
      const shot = path.join(shotDir, `${name}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
      expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
      await page.close();
    }
  }, 90_000);
});
