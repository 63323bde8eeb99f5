/**
 * The web chat page: one self-contained HTML document (no build step, no CDN: the page must work
 * offline). It talks to POST /v1/chat and renders the SSE events as they arrive: tokens into the
 * reply, tool steps as a list, the final answer as recommendation cards with evidence links and
 * warnings. Every server string goes through textContent, never innerHTML.
 */
export function renderChatPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KEDRec chat</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">
  :root { font-family: system-ui, sans-serif; color: #1d2430; background: #f5f6f8; }
  body { margin: 0; display: flex; flex-direction: column; height: 100vh; }
  header { padding: 10px 16px; background: #22304a; color: #fff; display: flex; gap: 12px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header small { opacity: .8; }
  #log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 12px; }
  .msg { max-width: 900px; padding: 10px 14px; border-radius: 8px; white-space: pre-wrap; }
  .user { align-self: flex-end; background: #dbe7ff; }
  .assistant { align-self: flex-start; background: #fff; border: 1px solid #dde1e8; width: min(900px, 95%); }
  .steps { font-size: 13px; color: #4a5568; margin: 0 0 8px; padding-left: 18px; }
  .steps li.error { color: #b42318; }
  .notice { font-size: 13px; color: #7a5b00; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 10px; margin-top: 10px; white-space: normal; }
  .card { border: 1px solid #cfd6e2; border-radius: 8px; padding: 10px; background: #fbfcfe; }
  .card h3 { margin: 0 0 6px; font-size: 15px; }
  .card .rationale { font-size: 13px; }
  .card ul { padding-left: 16px; margin: 6px 0; font-size: 12px; }
  .warning { background: #fff4e5; border-left: 4px solid #f79009; padding: 6px 8px; margin-top: 6px; font-size: 13px; white-space: normal; }
  .error { color: #b42318; }
  .case { margin-top: 10px; border: 1px solid #d0d7de; background: #f6f8fa; border-radius: 8px; padding: 8px 10px; white-space: normal; font-size: 13px; }
  .case dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; }
  .case dt { font-weight: 600; }
  .case dd { margin: 0; }
  .excluded { margin-top: 10px; border: 1px solid #f4c7c3; background: #fff5f4; border-radius: 8px; padding: 8px 10px; white-space: normal; font-size: 13px; }
  .excluded h4, .changes h4 { margin: 0 0 4px; font-size: 14px; }
  .excluded li { margin: 3px 0; }
  .changes { margin-top: 10px; border: 1px solid #b8d4f5; background: #f2f8ff; border-radius: 8px; padding: 8px 10px; white-space: normal; font-size: 13px; }
  .disclaimer { font-size: 11px; color: #667085; margin-top: 8px; white-space: normal; }
  form { display: flex; gap: 8px; padding: 12px 16px; background: #fff; border-top: 1px solid #dde1e8; }
  textarea { flex: 1; resize: vertical; min-height: 44px; font: inherit; padding: 8px; }
  button { padding: 0 18px; font: inherit; }
</style>
</head>
<body>
<header><h1>KEDRec</h1><small>explainable drug recommendation — research use, not a medical device</small><small id="thread" data-testid="thread"></small></header>
<main id="log" data-testid="log" aria-live="polite"></main>
<form id="form">
  <textarea id="input" data-testid="input" placeholder="Describe the case: diagnoses, current medications, allergies…" required></textarea>
  <button id="send" data-testid="send" type="submit">Send</button>
  <button id="new" type="button" title="start a new conversation">New</button>
</form>
<script nonce="${nonce}">
(() => {
  const log = document.getElementById('log');
  const form = document.getElementById('form');
  const input = document.getElementById('input');
  const send = document.getElementById('send');
  const threadLabel = document.getElementById('thread');
  let threadId = sessionStorage.getItem('kedrec.thread') || null;
  const showThread = () => { threadLabel.textContent = threadId ? 'thread ' + threadId.slice(0, 8) : ''; };
  showThread();

  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; };
  const scroll = () => { log.scrollTop = log.scrollHeight; };
  const safeUrl = (u) => { try { const x = new URL(u); return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null; } catch { return null; } };
  const evidenceHref = (e) => {
    if (e.url) return safeUrl(e.url);
    if (/^NCT\\d{8}$/.test(e.id)) return 'https://clinicaltrials.gov/study/' + e.id;
    const pmid = String(e.id).replace(/^PMID:/i, '');
    if (e.type === 'article' && /^\\d+$/.test(pmid)) return 'https://pubmed.ncbi.nlm.nih.gov/' + pmid + '/';
    return null;
  };
  const warningBox = (w) => { const d = el('div', 'warning', '⚠ ' + w.message); d.dataset.testid = 'warning'; d.dataset.kind = w.kind; return d; };

  function renderFinal(box, a) {
    // What was understood, so the clinician can see (and correct) the case every answer rests on.
    const c = a.case;
    if (c) {
      const sec = el('section', 'case'); sec.dataset.testid = 'case';
      sec.append(el('h4', null, 'Case as understood'));
      const dl = el('dl');
      const row = (k, v) => {
        if (v == null || v === '' || (Array.isArray(v) && !v.length)) return;
        const dd = el('dd', null, Array.isArray(v) ? v.join('; ') : String(v)); dd.dataset.field = k;
        dl.append(el('dt', null, k), dd);
      };
      row('Patient', [c.age != null ? c.age + ' years' : '', c.sex || ''].filter(Boolean).join(', '));
      row('Conditions', c.conditions.length ? c.conditions : 'none read');
      row('Current medications', c.currentMedications.length ? c.currentMedications : 'none read');
      row('Allergies', c.allergies.length ? c.allergies : 'none read');
      row('Pregnancy', c.pregnant ? 'pregnant' + (c.pregnancyWeeks != null ? ', ' + c.pregnancyWeeks + ' weeks' : c.trimester ? ', trimester ' + c.trimester : '') : c.pregnant === false ? 'not pregnant' : null);
      row('Breastfeeding', c.breastfeeding ? 'yes' : null);
      row('Kidney', c.renal); row('Liver', c.hepatic);
      row('Weight', c.weightKg != null ? c.weightKg + ' kg' : null); row('QTc', c.qtcMs != null ? c.qtcMs + ' ms' : null);
      row('Other findings', c.comorbidities);
      row("Family history (not the patient's)", c.familyHistory);
      row('Question', [c.intent === 'acute' ? 'acute treatment' : c.intent === 'prevention' ? 'prevention / maintenance' : '', c.askedClass ? 'asks for: ' + c.askedClass : ''].filter(Boolean));
      row('Prescriber overrides', c.overrides);
      sec.append(dl); box.append(sec);
    }
    const cards = el('div', 'cards');
    for (const r of a.recommendations) {
      const card = el('section', 'card'); card.dataset.testid = 'recommendation';
      card.append(el('h3', null, r.rank + '. ' + r.drug.name + ' (' + r.drug.id + ')'));
      card.append(el('div', 'rationale', r.rationale));
      if (r.evidence.length) {
        const ul = el('ul');
        for (const e of r.evidence) {
          const li = el('li'); const href = evidenceHref(e);
          if (href) { const a2 = el('a', null, e.id); a2.href = href; a2.target = '_blank'; a2.rel = 'noopener noreferrer'; a2.dataset.testid = 'evidence-link'; li.append(a2); }
          else li.append(el('span', null, e.id));
          li.append(document.createTextNode(' — ' + e.snippet.slice(0, 160)));
          ul.append(li);
        }
        card.append(ul);
      }
      for (const w of r.warnings) card.append(warningBox(w));
      cards.append(card);
    }
    if (a.recommendations.length) box.append(cards);
    if (a.excluded && a.excluded.length) {
      // What the safety engine left out is always shown, with the rule and its citation.
      const ex = el('section', 'excluded'); ex.dataset.testid = 'excluded';
      ex.append(el('h4', null, 'Left out for this patient (' + a.excluded.length + ')'));
      const ul = el('ul');
      const label = { contraindicated: 'Contraindicated', avoid_unless: 'Avoid unless no alternative', not_indicated: 'Not indicated', already_taking: 'Already taking' };
      for (const e of a.excluded) {
        const li = el('li'); li.dataset.testid = 'excluded-drug'; li.dataset.severity = e.severity;
        li.append(el('strong', null, e.drug.name), document.createTextNode(' — ' + (label[e.severity] || e.severity) + (e.overridable ? ' (can be overridden)' : '') + ': ' + e.reason + ' '));
        if (e.citation) {
          const href = e.citation.url ? safeUrl(e.citation.url) : null;
          if (href) { const c = el('a', null, e.citation.source); c.href = href; c.target = '_blank'; c.rel = 'noopener noreferrer'; li.append(c); }
          else li.append(el('em', null, e.citation.source));
        }
        ul.append(li);
      }
      ex.append(ul); box.append(ex);
    }
    if (a.changes && a.changes.length) {
      const ch = el('section', 'changes'); ch.dataset.testid = 'changes';
      ch.append(el('h4', null, 'What changed since the last answer'));
      const ul = el('ul'); for (const c of a.changes) ul.append(el('li', null, c)); ch.append(ul); box.append(ch);
    }
    for (const w of a.warnings) box.append(warningBox(w));
    if (a.mode === 'evidence-only') box.append(el('div', 'notice', 'Evidence-only mode: no language model wrote this answer.'));
    for (const n of a.notices) box.append(el('div', 'notice', n));
    if (a.disclaimer) box.append(el('div', 'disclaimer', a.disclaimer));
  }

  async function authHeaders() {
    const t = sessionStorage.getItem('kedrec.token');
    return t ? { authorization: 'Bearer ' + t } : {};
  }

  async function turn(message) {
    log.append(el('div', 'msg user', message));
    const box = el('div', 'msg assistant'); box.dataset.testid = 'assistant';
    const steps = el('ol', 'steps'); const text = el('div', 'text'); text.dataset.testid = 'answer-text';
    box.append(steps, text); log.append(box); scroll();
    const stepItems = new Map();
    let res = await fetch('/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify(threadId ? { thread_id: threadId, message } : { message }) });
    if (res.status === 401) {
      const t = prompt('This server needs an API token (KEDREC_API_TOKEN):');
      if (t) { sessionStorage.setItem('kedrec.token', t); box.remove(); log.lastChild && log.lastChild.remove(); return turn(message); }
    }
    if (!res.ok || !res.body) {
      let msg = 'HTTP ' + res.status;
      try { const j = await res.json(); msg = j.error.code + ': ' + j.error.message; } catch {}
      box.append(el('div', 'error', msg)); return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\\n\\n')) >= 0) {
        const frame = buf.slice(0, i); buf = buf.slice(i + 2);
        let event = 'message', data = '';
        for (const line of frame.split('\\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trimStart();
        }
        if (!data) continue;
        const ev = JSON.parse(data);
        if (event === 'thread') { threadId = ev.thread_id; sessionStorage.setItem('kedrec.thread', threadId); showThread(); }
        else if (event === 'token') text.textContent += ev.text;
        else if (event === 'tool_call') { const li = el('li', null, 'tool ' + ev.name + ' ' + JSON.stringify(ev.args).slice(0, 120)); li.dataset.testid = 'tool-step'; steps.append(li); stepItems.set(ev.id, li); }
        else if (event === 'tool_result') { const li = stepItems.get(ev.id) || steps.appendChild(el('li')); li.textContent += ' → ' + ev.summary; if (!ev.ok) li.classList.add('error'); }
        else if (event === 'notice') box.append(el('div', 'notice', ev.message));
        else if (event === 'final') { if (!text.textContent) text.textContent = ev.answer.text; else if (ev.answer.text && ev.answer.text !== text.textContent) text.textContent = ev.answer.text; renderFinal(box, ev.answer); box.dataset.done = 'true'; }
        else if (event === 'error') { box.append(el('div', 'error', ev.code + ': ' + ev.message)); box.dataset.done = 'true'; }
        scroll();
      }
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const message = input.value.trim(); if (!message) return;
    input.value = ''; send.disabled = true;
    try { await turn(message); } catch (err) { log.append(el('div', 'msg error', String(err))); }
    finally { send.disabled = false; input.focus(); }
  });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
  document.getElementById('new').addEventListener('click', () => { threadId = null; sessionStorage.removeItem('kedrec.thread'); showThread(); log.textContent = ''; });
})();
</script>
</body>
</html>`;
}
