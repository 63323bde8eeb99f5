import { CLIENT_JS } from './web/client.js';
import { PAGE_CSS } from './web/styles.js';

/**
 * The web chat page: one self-contained HTML document (no build step, no CDN: the page must work
 * offline, under a CSP that allows only this nonce's inline style and script). It talks to
 * POST /v1/chat and GET /v1/threads/:id and shows, for a clinician: the case as understood (with
 * a control to correct each item), the recommendations as cards (one-line reason, safety flags,
 * an expandable rationale and evidence with readable link text), what was not recommended and
 * why, and visible progress while a turn runs. The conversation id lives in the URL, so a reload
 * restores it. Every server string goes through textContent, never innerHTML.
 */
export function renderChatPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KEDRec — drug recommendation assistant</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${PAGE_CSS}</style>
</head>
<body>
<a class="skip" href="#input">Skip to the message box</a>
<header class="top">
  <h1>KEDRec</h1>
  <span class="tag">Explainable drug recommendation · research use, not a medical device</span>
  <span class="tag-short">Research use only</span>
  <span class="thread" id="thread" data-testid="thread"></span>
  <button id="new" type="button" data-testid="new" aria-label="New case: start a clean conversation">New case</button>
</header>
<main id="log" data-testid="log">
  <section class="intro" id="intro" aria-labelledby="intro-h">
    <h2 id="intro-h">Describe a patient, get ranked options with their evidence</h2>
    <p>Write the diagnoses, current medications, allergies and anything that matters for safety (pregnancy, kidney or liver function, age). Each answer shows the case as it was understood: correct it there or in a follow-up message.</p>
    <p class="try">Try an example (it fills the message box):</p>
    <ul>
      <li><button class="example" type="button">62-year-old woman with type 2 diabetes, eGFR 40, takes warfarin. What should we start?</button></li>
      <li><button class="example" type="button">32-year-old, 8 weeks pregnant, with chronic hypertension. Allergic to penicillin.</button></li>
    </ul>
  </section>
</main>
<p class="sr-only" id="announce" role="status" aria-live="polite"></p>
<form id="form" aria-label="Message">
  <div class="row">
    <div class="field">
      <label for="input">Case or follow-up question</label>
      <textarea id="input" data-testid="input" rows="2" aria-describedby="input-hint" placeholder="Diagnoses, medications, allergies, pregnancy, kidney…" required></textarea>
      <span class="hint" id="input-hint">Enter sends · Shift+Enter adds a line</span>
    </div>
    <button id="send" data-testid="send" type="submit">Send</button>
  </div>
</form>
<script nonce="${nonce}">${CLIENT_JS}</script>
</body>
</html>`;
}
