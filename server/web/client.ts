/**
 * The chat page's script, inlined under the page's CSP nonce (no build step, nothing loaded from
 * elsewhere). It is plain browser JavaScript kept as a raw string: no template literals or
 * backticks inside, so String.raw keeps every regex escape as written.
 *
 * Rules it keeps: every server string goes through textContent (never innerHTML); links are only
 * http(s); each fact is shown once (the evidence-only text is not shown, since the cards are that
 * answer; a warning a card carries is not repeated answer-level); the thread lives in the URL
 * (?thread=…) so a reload restores it, and sessionStorage holds only the API token.
 */
export const CLIENT_JS = String.raw`
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const log = $('log'), form = $('form'), input = $('input'), send = $('send'), newBtn = $('new');
  const threadLabel = $('thread'), announce = $('announce'), intro = $('intro');
  const THREAD_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
  let threadId = null;
  let busy = false;
  let controller = null;
  // The thread used to live in sessionStorage: a reload then continued a thread the page no longer showed.
  try { sessionStorage.removeItem('kedrec.thread'); } catch {}

  // ---- small DOM helpers (textContent only) ----
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; };
  const tid = (e, id) => { e.dataset.testid = id; return e; };
  const safeUrl = (u) => { try { const x = new URL(u, location.href); return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null; } catch { return null; } };
  const link = (text, href, cls) => { const a = el('a', cls, text); a.href = href; a.target = '_blank'; a.rel = 'noopener noreferrer'; return a; };
  const clip = (s, n) => { s = String(s || '').replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n - 1).replace(/[\s,;:]+\S*$/, '') + '…' : s; };
  const plainName = (s) => String(s).replace(/\s*\((?:DB\d{5}|CHEMBL\d+|[A-Za-z]+:[^)]*)\)$/, '');
  const idOf = (s) => { const m = /\(((?:DB\d{5}|CHEMBL\d+|[A-Za-z]+:[^)]*))\)$/.exec(String(s)); return m ? m[1] : ''; };
  const uniq = (xs) => { const seen = new Set(); return xs.filter((x) => !seen.has(x) && !!seen.add(x)); };
  const sentences = (t) => String(t || '').split(/(?<=[.!?])\s+(?=[A-Z])/).map((s) => s.trim()).filter(Boolean);
  const stripCites = (t) => String(t || '').replace(/\s*\[[^\]]+\]/g, '').replace(/,?\s*e\.g\.(?=\s*[.;,]|\s*$)/g, '').replace(/\s+([.,;])/g, '$1').trim();

  function setThread(id) {
    threadId = id;
    const url = new URL(location.href);
    if (id) url.searchParams.set('thread', id); else url.searchParams.delete('thread');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    threadLabel.textContent = id ? 'case ' + id.slice(0, 8) : '';
    threadLabel.title = id ? 'Conversation ' + id + ' (kept in the page address, so a reload restores it)' : '';
  }

  // ---- evidence: readable names and links ----
  function evidenceHref(e) {
    if (e.url) return safeUrl(e.url);
    const id = String(e.id || '');
    if (/^NCT\d{8}$/.test(id)) return 'https://clinicaltrials.gov/study/' + id;
    const pmid = id.replace(/^PMID:?\s*/i, '');
    if (e.type === 'article' && /^\d+$/.test(pmid)) return 'https://pubmed.ncbi.nlm.nih.gov/' + pmid + '/';
    const gene = /NCBIGene:(\d+)/.exec(id);
    if (e.type === 'kg_path' && gene) return 'https://www.ncbi.nlm.nih.gov/gene/' + gene[1];
    const db = /^(DB\d{5})\b/.exec(id);
    if (db) return 'https://go.drugbank.com/drugs/' + db[1];
    return null;
  }
  const SOURCE_NAMES = { deepddi: 'DeepDDI', drugbank: 'DrugBank', sider4: 'SIDER 4', sider: 'SIDER', hetionet: 'Hetionet', pharmacotherapydb: 'PharmacotherapyDB', chembl: 'ChEMBL' };
  const sourceWords = (source) => { const s = String(source || '').split(',')[0].trim(); return s ? ' (' + (SOURCE_NAMES[s.toLowerCase()] || s) + ')' : ''; };
  const guidelineName = (source) => String(source || '').split(/\s*[(:]/)[0].trim();
  /** The text a clinician reads for one evidence item: never a raw knowledge-graph id. */
  function evidenceLabel(e) {
    const snip = String(e.snippet || '');
    const id = String(e.id || '');
    switch (e.type) {
      case 'trial': {
        const title = clip(snip.replace(/\s*\[[^\]]*\]\s*$/, '').replace(id, '').replace(/^[\s:—-]+/, ''), 90);
        return title ? id + ': ' + title : id;
      }
      case 'article': {
        const p = 'PMID ' + id.replace(/^PMID:?\s*/i, '');
        const title = clip(snip, 100);
        return title ? p + ': ' + title : p;
      }
      case 'guideline': return guidelineName(e.source) || clip(snip, 90) || 'Guideline';
      case 'kg_fact': {
        const i = snip.indexOf(': ');
        let detail = i > 0 ? snip.slice(i + 2) : '';
        detail = detail.replace(/\.$/, '').replace(/\s*\([a-z0-9_, -]+\)$/, '');
        const what = /treats|indicat|palliates/i.test(snip) ? 'Indication record' : 'Knowledge-graph record';
        return what + (detail ? ': ' + clip(detail, 90) : snip ? ': ' + clip(snip, 90) : '');
      }
      case 'kg_path': return clip(snip.replace(/\.$/, ''), 110) || 'Mechanism (gene)';
      case 'label': {
        const m = /^FDA labels?:\s*(.*)$/i.exec(String(e.source || ''));
        return 'FDA label' + (m && m[1] ? ': ' + clip(m[1], 80) : '');
      }
      case 'interaction': return 'Interaction record' + sourceWords(e.source);
      case 'side_effect': return 'Side-effect record' + sourceWords(e.source);
      default: return clip(String(e.source || '').split(',')[0], 60) || clip(snip, 80) || 'Source';
    }
  }
  /** The short tag an inline citation shows in running text. */
  function citeTag(e) {
    const id = String(e.id || '');
    switch (e.type) {
      case 'trial': return id;
      case 'article': return 'PMID ' + id.replace(/^PMID:?\s*/i, '');
      case 'guideline': return 'guideline';
      case 'kg_fact': return 'indication record';
      case 'kg_path': return 'mechanism';
      case 'label': return 'FDA label';
      case 'interaction': return 'interaction record';
      case 'side_effect': return 'side-effect record';
      default: return 'source';
    }
  }
  const TYPE_WORDS = { trial: 'Trial', article: 'Article', guideline: 'Guideline', kg_fact: 'Indication', kg_path: 'Mechanism', label: 'Label', interaction: 'Interaction', side_effect: 'Side effect' };

  /** An index from citation id to evidence item, over every item the answer carries. */
  function evidenceIndex(a) {
    const m = new Map();
    const add = (e) => { if (e && e.id && !m.has(String(e.id).toUpperCase())) m.set(String(e.id).toUpperCase(), e); };
    for (const r of a.recommendations || []) { (r.evidence || []).forEach(add); for (const w of r.warnings || []) (w.evidence || []).forEach(add); }
    for (const w of a.warnings || []) (w.evidence || []).forEach(add);
    return m;
  }
  /** A citation the answer does not carry: trials and PMIDs still link; graph ids are not shown as text. */
  function looseCite(id) {
    if (/^NCT\d{8}$/.test(id)) return { type: 'trial', id: id, snippet: '', source: '' };
    if (/^PMID:?\s*\d+$/i.test(id)) return { type: 'article', id: id, snippet: '', source: '' };
    return null;
  }
  const RAW_ID = /^(?:DB\d{5}-|GUIDELINE:|RULE:|DDI:|[A-Za-z]+:[\w.-]+$)/;

  /**
   * Writes text into a node: [citations] become short links, ~~struck~~ and **bold** keep their
   * meaning (the safety check marks drugs it removed that way), line breaks are kept by CSS.
   */
  function richText(node, text, index) {
    const parts = String(text || '').split(/(\[[^\]\n]{1,160}\]|~~[^~\n]+~~|\*\*[^*\n]+\*\*)/);
    for (const p of parts) {
      if (!p) continue;
      if (p.startsWith('~~') && p.endsWith('~~') && p.length > 4) { node.append(el('s', null, p.slice(2, -2))); continue; }
      if (p.startsWith('**') && p.endsWith('**') && p.length > 4) { const s = el('strong'); richText(s, p.slice(2, -2), index); node.append(s); continue; }
      if (p.startsWith('[') && p.endsWith(']')) {
        const ids = p.slice(1, -1).split(/\s*[,;]\s*/);
        const items = ids.map((id) => (index && index.get(id.toUpperCase())) || looseCite(id));
        if (items.every(Boolean)) {
          items.forEach((e, i) => {
            const href = evidenceHref(e);
            node.append(i ? ' ' : '', '[');
            if (href) { const a = link(citeTag(e), href, 'cite'); a.setAttribute('aria-label', 'Source: ' + evidenceLabel(e)); a.title = evidenceLabel(e); tid(a, 'cite'); node.append(a); }
            else node.append(el('span', 'cite', citeTag(e)));
            node.append(']');
          });
          continue;
        }
        if (ids.every((id) => RAW_ID.test(id))) continue; // an id nobody can read: the evidence list names the source
      }
      node.append(document.createTextNode(p));
    }
    return node;
  }

  // ---- warnings ----
  const isBoxed = (w) => /^Boxed warning/i.test(w.message || '');
  const flagRank = (w) => (isBoxed(w) ? 0 : w.severity === 'contraindicated' || w.severity === 'avoid_unless' ? 1 : w.kind === 'interaction' || w.kind === 'allergy' || w.severity === 'caution' ? 2 : w.kind === 'serious_effect' ? 3 : w.kind === 'side_effect' ? 5 : 4);
  function warningBox(w) {
    const rank = flagRank(w);
    const cls = rank === 0 ? 'boxed' : rank === 1 ? 'severe' : rank === 2 ? 'caution' : rank === 5 ? 'minor' : '';
    const li = el('li', 'warning ' + cls);
    tid(li, 'warning'); li.dataset.kind = w.kind || ''; if (w.severity) li.dataset.severity = w.severity;
    const lvl = rank === 0 ? 'Boxed warning' : rank === 1 ? (w.severity === 'contraindicated' ? 'Contraindicated' : 'Avoid') : w.kind === 'interaction' ? 'Interaction' : w.kind === 'allergy' ? 'Allergy' : rank === 3 ? 'Serious risk' : rank === 5 ? 'Side effects' : w.kind === 'notice' ? 'Note' : 'Caution';
    li.append(el('span', 'lvl', (rank <= 2 ? '⚠ ' : '') + lvl + ':'));
    // "Boxed warning — Metformin: …": the label already says it, and the card names the drug.
    const msg = String(w.message || '').replace(/^(?:Boxed warning|Serious risk)\s*[—-]\s*[^:]{1,60}:\s*/i, '').replace(/^Interaction with current medication [^:]{1,60}:\s*/i, '');
    li.append(document.createTextNode(' ' + msg));
    const src = (w.evidence || []).find((e) => e.type === 'label' || e.type === 'interaction') || (w.evidence || [])[0];
    const href = src && evidenceHref(src);
    if (href) { const a = link(evidenceLabel(src), href); tid(a, 'warning-source'); li.append(' ', a); }
    return li;
  }

  // ---- the case panel ----
  const FIX = {
    conditions: (n) => 'The patient does not have ' + n + '.',
    currentMedications: (n) => 'The patient is not taking ' + n + '.',
    allergies: (n) => 'No ' + n + ' allergy.',
    comorbidities: (n) => 'The patient does not have ' + n + '.',
  };
  const FIELD_WORDS = { conditions: 'conditions', currentMedications: 'current medications', allergies: 'allergies', comorbidities: 'other findings' };
  function fixButton(label, message) {
    const b = el('button', 'fix', '×'); b.type = 'button';
    b.setAttribute('aria-label', label); b.title = label + ' (sends: "' + message + '")';
    b.dataset.message = message; tid(b, 'fix'); b.disabled = busy;
    b.addEventListener('click', () => { if (!busy) submitMessage(message); });
    return b;
  }
  function editButton(label, prefill) {
    const b = el('button', 'fix edit', 'correct'); b.type = 'button';
    b.setAttribute('aria-label', label); b.title = label; b.disabled = busy;
    b.addEventListener('click', () => { input.value = prefill; input.focus(); input.setSelectionRange(prefill.length, prefill.length); });
    return b;
  }
  /** Other findings, less those that only restate a condition ("type 2 diabetes" beside "type 2 diabetes mellitus"). */
  function otherFindings(c) {
    const condNames = (c.conditions || []).map((x) => plainName(x).toLowerCase());
    return (c.comorbidities || []).filter((x) => !condNames.some((n) => n === x.toLowerCase() || n.startsWith(x.toLowerCase())));
  }
  function renderCase(c, changes) {
    const sec = tid(el('section', 'case'), 'case');
    sec.setAttribute('aria-label', 'Case as understood');
    sec.append(el('h3', null, 'Case as understood'));
    const dl = el('dl');
    const row = (label, field) => { const dt = el('dt', null, label); const dd = el('dd'); dd.dataset.field = field; dl.append(dt, dd); return dd; };
    const chips = (label, field, items, none) => {
      const dd = row(label, field);
      if (!items.length) { if (none) dd.append(el('span', 'none', none)); else { dl.lastChild.remove(); dl.lastChild.remove(); } return; }
      for (const raw of items) {
        const name = plainName(raw);
        const chip = el('span', 'chip'); chip.dataset.item = name;
        const n = el('span', null, name); if (idOf(raw)) n.title = idOf(raw);
        chip.append(n, fixButton('Not correct: remove ' + name + ' from ' + FIELD_WORDS[field], FIX[field](name)));
        dd.append(chip);
      }
    };
    const who = [c.age != null ? c.age + ' years' : '', c.sex && c.sex !== 'other' ? c.sex : c.sex || ''].filter(Boolean).join(', ');
    const p = row('Patient', 'patient');
    p.append(el('span', who ? 'chip plain' : 'none', who || 'age and sex not stated'), editButton('Correct age or sex', 'Correction: the patient is '));
    chips('Conditions', 'conditions', c.conditions || [], 'none read');
    chips('Current medications', 'currentMedications', c.currentMedications || [], 'none read');
    chips('Allergies', 'allergies', c.allergies || [], 'none read');
    if (c.pregnant != null || c.breastfeeding) {
      const dd = row('Pregnancy', 'pregnancy');
      if (c.pregnant) {
        const chip = el('span', 'chip', 'pregnant' + (c.pregnancyWeeks != null ? ', ' + c.pregnancyWeeks + ' weeks' : c.trimester ? ', trimester ' + c.trimester : ''));
        chip.append(fixButton('Not correct: the patient is not pregnant', 'The patient is not pregnant.'));
        dd.append(chip);
      } else if (c.pregnant === false) dd.append(el('span', 'chip plain', 'not pregnant'));
      if (c.breastfeeding) { const chip = el('span', 'chip', 'breastfeeding'); chip.append(fixButton('Not correct: the patient is not breastfeeding', 'The patient is not breastfeeding.')); dd.append(chip); }
    }
    const organ = (label, field, value, prefill) => {
      if (!value) return;
      const dd = row(label, field); dd.append(el('span', 'chip plain', value), editButton('Correct ' + label.toLowerCase() + ' function', prefill));
    };
    organ('Kidney', 'renal', c.renal, 'Kidney function: eGFR ');
    organ('Liver', 'hepatic', c.hepatic, 'Liver function: ');
    if (c.weightKg != null) row('Weight', 'weight').append(el('span', 'chip plain', c.weightKg + ' kg'));
    if (c.qtcMs != null || c.longQt) row('QTc', 'qtc').append(el('span', 'chip plain', c.qtcMs != null ? c.qtcMs + ' ms' : 'long QT'));
    const other = otherFindings(c);
    if (other.length) chips('Other findings', 'comorbidities', other);
    if ((c.familyHistory || []).length) { const dd = row("Family history (not the patient's)", 'familyHistory'); for (const f of c.familyHistory) dd.append(el('span', 'chip plain', f)); }
    const intent = [c.intent === 'acute' ? 'acute treatment' : c.intent === 'prevention' ? 'prevention / maintenance' : '', c.askedClass ? 'asks for ' + c.askedClass : ''].filter(Boolean);
    if (intent.length) { const dd = row('Question', 'intent'); for (const i of intent) dd.append(el('span', 'chip plain', i)); }
    if ((c.overrides || []).length) { const dd = row('Prescriber overrides', 'overrides'); for (const o of c.overrides) dd.append(el('span', 'chip plain', o)); }
    sec.append(dl);
    sec.append(el('p', 'hint', 'Wrong? Use × to tell the assistant (it sends a short correction), or type one below.'));
    if (changes && changes.length) {
      const ch = tid(el('div', 'changes'), 'changes');
      ch.append(el('h4', null, 'Changed this turn'));
      const ul = el('ul'); for (const x of changes) ul.append(el('li', null, x)); ch.append(ul);
      sec.append(ch);
    }
    return sec;
  }

  // ---- recommendation cards ----
  // The recommender's sentences point at its own heading for the exclusions; this page calls it "Not recommended".
  const patientWords = (s) => stripCites(s).replace(/\(see "Left out"\)/, '(see "Not recommended for this patient" below)');
  const PATIENT_SENTENCE = /^(?:For this patient:|First-line drugs left out|Same class, also suitable:)/;
  function tierOf(r) {
    const ev = r.evidence || [];
    const g = ev.find((e) => e.type === 'guideline');
    if (g) return { text: 'Guideline first-line', title: guidelineName(g.source) };
    const f = ev.find((e) => e.type === 'kg_fact');
    if (f && /physician-curated|approved indication|FDA label/i.test(f.snippet || '')) return { text: 'Curated indication', title: evidenceLabel(f) };
    if (f) return { text: 'Indication record', title: evidenceLabel(f), weak: true };
    if (ev.some((e) => e.type === 'trial')) return { text: 'Trial evidence', title: 'Supported by clinical trials', weak: true };
    if (ev.some((e) => e.type === 'kg_path')) return { text: 'Mechanism only', title: 'Only a mechanism path supports it', weak: true };
    return { text: 'Limited evidence', weak: true };
  }
  function renderCard(r, a, index, modelText, shared) {
    const li = tid(el('li', 'card'), 'recommendation');
    li.dataset.drug = r.drug.id;
    const h = el('h3');
    h.append(el('span', 'rank', String(r.rank)));
    const name = el('span', 'drug-name'); name.append(r.drug.name + ' ', el('span', 'drug-id', '(' + r.drug.id + ')'));
    h.append(name);
    const tier = tierOf(r);
    const t = el('span', 'tier' + (tier.weak ? ' weak' : ''), tier.text); if (tier.title) t.title = tier.title; tid(t, 'tier');
    h.append(t);
    li.append(h);
    const said = sentences(r.rationale);
    const summary = r.summary || stripCites(said[0] || '');
    li.append(tid(el('p', 'summary', summary), 'summary'));
    const forPatient = said.filter((s) => PATIENT_SENTENCE.test(s) && !(shared && shared.has(s)));
    if (forPatient.length) { const ul = el('ul', 'for-patient'); for (const s of forPatient) ul.append(el('li', null, patientWords(s))); li.append(ul); }
    const seen = new Set();
    const flags = [...(r.warnings || [])].sort((x, y) => flagRank(x) - flagRank(y)).filter((w) => !seen.has(w.message) && !!seen.add(w.message));
    if (flags.length) { const ul = el('ul', 'flags'); ul.setAttribute('aria-label', 'Safety flags for ' + r.drug.name); for (const w of flags) ul.append(warningBox(w)); li.append(ul); }
    const rest = said.filter((s) => !PATIENT_SENTENCE.test(s));
    // In model mode the card's reasoning is a line of the text above: it is not written again.
    const inText = modelText && normal(stripCites(modelText)).includes(normal(stripCites(r.rationale)).slice(0, 120));
    const ev = r.evidence || [];
    if (rest.length || ev.length) {
      const d = el('details', 'more');
      d.append(el('summary', null, 'Why, and the evidence' + (ev.length ? ' (' + ev.length + ' source' + (ev.length > 1 ? 's' : '') + ')' : '')));
      if (inText) d.append(el('p', 'rationale', 'The reasoning is in the answer text above.'));
      else if (rest.length) d.append(richText(el('p', 'rationale'), rest.join(' '), index));
      if (ev.length) {
        const ol = el('ol', 'evidence');
        for (const e of ev) {
          const item = el('li');
          item.append(el('span', 'kind', TYPE_WORDS[e.type] || e.type));
          const href = evidenceHref(e);
          const label = evidenceLabel(e);
          if (href) item.append(tid(link(label, href), 'evidence-link')); else item.append(el('span', null, label));
          // The snippet only where the link text does not already say it.
          if (e.snippet && e.type === 'guideline') item.append(el('div', 'snippet', clip(e.snippet, 260)));
          item.append(el('div', 'src', [e.source && e.type !== 'guideline' ? 'Source: ' + clip(e.source, 80) : '', e.license ? 'Licence: ' + clip(e.license, 80) : ''].filter(Boolean).join(' · ')));
          ol.append(item);
        }
        d.append(ol);
      }
      li.append(d);
    }
    return li;
  }
  const normal = (s) => String(s || '').replace(/[*~_]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();

  // ---- not recommended ----
  const SEV_WORDS = { contraindicated: 'Contraindicated', avoid_unless: 'Avoid unless no alternative', not_indicated: 'Not indicated', already_taking: 'Already taking' };
  /** Drugs left out for the same stated reason and rule are one line naming them all. */
  function groupExcluded(list) {
    const groups = new Map();
    for (const e of list) {
      const reason = String(e.reason || '').replace(new RegExp('^' + e.drug.name.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&') + '\\s*[—-]\\s*'), '');
      const generic = reason.replace(new RegExp(e.drug.name.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'), 'g'), '…');
      const key = e.severity + '|' + (e.overridable ? 1 : 0) + '|' + generic + '|' + (e.citation ? e.citation.source : '');
      let g = groups.get(key);
      if (!g) { g = { severity: e.severity, overridable: e.overridable, reason: reason, generic: generic, citation: e.citation, drugs: [] }; groups.set(key, g); }
      g.drugs.push(e.drug);
    }
    return [...groups.values()];
  }
  function excludedItem(g) {
    const li = tid(el('li'), 'excluded-drug'); li.dataset.severity = g.severity;
    li.append(el('strong', null, g.drugs.map((d) => d.name).join(', ')), ' — ');
    li.append(el('span', 'sev' + (g.severity === 'avoid_unless' ? ' avoid' : ''), (SEV_WORDS[g.severity] || g.severity) + (g.overridable ? ' (can be overridden)' : '') + ':'));
    li.append(' ' + (g.drugs.length > 1 ? g.generic.replace(/…/g, 'it') : g.reason) + ' ');
    if (g.citation) {
      const href = g.citation.url ? safeUrl(g.citation.url) : null;
      const label = g.citation.source.split(/\s*[(;]/)[0].trim() || g.citation.source;
      if (href) { const a = link(label, href); a.title = g.citation.source; li.append(a); } else li.append(el('em', null, '(' + g.citation.source + ')'));
    }
    return li;
  }
  function renderExcluded(list) {
    const sec = tid(el('section', 'excluded'), 'excluded');
    sec.append(el('h3', null, 'Not recommended for this patient'));
    const safety = list.filter((e) => e.severity === 'contraindicated' || e.severity === 'avoid_unless');
    const notInd = list.filter((e) => e.severity === 'not_indicated');
    const taking = list.filter((e) => e.severity === 'already_taking');
    if (safety.length) {
      safety.sort((x, y) => (x.severity === y.severity ? 0 : x.severity === 'contraindicated' ? -1 : 1));
      const ul = el('ul'); for (const g of groupExcluded(safety)) ul.append(excludedItem(g)); sec.append(ul);
    } else sec.append(el('p', 'none', 'No drug was left out for safety.'));
    if (notInd.length || taking.length) {
      const d = el('details'); tid(d, 'excluded-other');
      const words = [notInd.length ? notInd.length + ' recorded as not indicated' : '', taking.length ? taking.length + ' already taken' : ''].filter(Boolean).join(' · ');
      d.append(el('summary', null, words));
      const ul = el('ul'); for (const g of groupExcluded([...notInd, ...taking])) ul.append(excludedItem(g)); d.append(ul);
      sec.append(d);
    }
    return sec;
  }

  // ---- one answer ----
  function cutModelText(t) {
    // The checked text ends with the safety lines and the changes: the page shows both as sections.
    return String(t || '').split(/\n\n(?:Safety check \(by code\):|What changed since the last answer:)/)[0].trim();
  }
  function renderFinal(view, a) {
    const box = view.box;
    const index = evidenceIndex(a);
    view.steps.querySelectorAll('li.pending').forEach((li) => { li.classList.remove('pending'); if (li.dataset.initial) li.firstChild.textContent = 'Read the case'; });
    if (a.mode === 'evidence-only') {
      const b = tid(el('p', 'mode-badge'), 'mode-badge');
      b.append(el('strong', null, 'Evidence-only mode:'), 'no language model wrote this answer; a deterministic recommender assembled it from the knowledge base.');
      for (const n of view.modeNotices) b.append(' ' + n);
      view.steps.after(b);
    }
    let modelText = '';
    if (a.mode === 'model') {
      const b = tid(el('p', 'mode-badge model'), 'model-badge');
      b.append(el('strong', null, 'Written by a language model;'), 'every drug it names was then checked by the safety rules in code.');
      view.steps.after(b);
      modelText = cutModelText(a.text) || view.text.textContent;
      view.text.textContent = '';
      richText(view.text, modelText, index);
    } else if (!view.text.textContent) view.text.remove();
    const layout = el('div', 'layout');
    if (a.case) layout.append(renderCase(a.case, a.changes));
    const main = el('div', 'recs-wrap');
    const cardFlags = new Set((a.recommendations || []).flatMap((r) => (r.warnings || []).map((w) => w.message)));
    const general = [];
    const seen = new Set();
    for (const w of a.warnings || []) if (!cardFlags.has(w.message) && !seen.has(w.message)) { seen.add(w.message); general.push(w); }
    if (general.length) {
      const ul = el('ul', 'flags answer-warnings'); ul.setAttribute('aria-label', 'Warnings for this answer');
      for (const w of general.sort((x, y) => flagRank(x) - flagRank(y))) ul.append(warningBox(w));
      main.append(ul);
    }
    if ((a.recommendations || []).length) {
      main.append(el('h3', null, 'Recommended (' + a.recommendations.length + ')'));
      // A sentence every card would repeat ("First-line drugs left out for this patient: …") is said once, above them.
      const counts = new Map();
      for (const r of a.recommendations) for (const s of new Set(sentences(r.rationale).filter((x) => PATIENT_SENTENCE.test(x)))) counts.set(s, (counts.get(s) || 0) + 1);
      const shared = new Set([...counts].filter(([, n]) => n > 1 && n === a.recommendations.length).map(([s]) => s));
      for (const s of shared) main.append(el('p', 'shared', patientWords(s)));
      const ol = el('ol', 'recs'); ol.setAttribute('aria-label', 'Recommendations');
      for (const r of a.recommendations) ol.append(renderCard(r, a, index, modelText, shared));
      main.append(ol);
    } else if (a.case && (a.case.conditions || []).length) main.append(el('p', 'notice', 'No drug met the evidence and safety criteria for this case.'));
    layout.append(main);
    if ((a.excluded || []).length) layout.append(renderExcluded(a.excluded));
    // Notes qualify the whole answer ("listing anticoagulants only…"): they come before it.
    for (const n of a.notices || []) addNotice(view, n);
    if ((a.removedCitations || []).length) addNotice(view, 'Citations removed because no tool returned them: ' + a.removedCitations.join(', '));
    box.append(layout);
    if (a.disclaimer) box.append(el('p', 'disclaimer', a.disclaimer));
    const actions = el('div', 'actions');
    const dl = tid(el('button', null, 'Download Markdown'), 'export'); dl.type = 'button';
    dl.setAttribute('aria-label', 'Download this answer as Markdown');
    dl.addEventListener('click', () => downloadMarkdown(a));
    const pr = el('button', null, 'Print'); pr.type = 'button'; pr.addEventListener('click', () => window.print());
    const fu = el('button', null, 'Ask a follow-up'); fu.type = 'button';
    fu.addEventListener('click', () => { form.scrollIntoView({ block: 'end' }); input.focus(); });
    actions.append(dl, pr, fu);
    box.append(actions);
    view.final = a;
  }
  function addNotice(view, message) {
    if (!message || view.notices.has(message)) return;
    view.notices.add(message);
    // The evidence-only badge says it once; a notice that the model is unreachable adds its reason there.
    if (/evidence-only mode/i.test(message)) { view.modeNotices.push(message); const b = view.box.querySelector('.mode-badge'); if (b) b.append(' ' + message); return; }
    view.notes.append(tid(el('p', 'notice', message), 'notice'));
  }

  // ---- Markdown export ----
  const mdEsc = (s) => String(s || '').replace(/([\\[\]*_~])/g, '\\$1');
  const mdUrl = (u) => String(u).replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20');
  const mdLink = (label, url) => (url ? '[' + mdEsc(label) + '](' + mdUrl(url) + ')' : mdEsc(label));
  /** Markdown for running text: its [citations] become links named as on the page; raw graph ids are dropped. */
  function mdRich(text, index) {
    return String(text || '').split(/(\[[^\]\n]{1,160}\])/).map((p, i) => {
      if (i % 2 === 0) return mdEsc(p);
      const ids = p.slice(1, -1).split(/\s*[,;]\s*/);
      const items = ids.map((id) => index.get(id.toUpperCase()) || looseCite(id));
      if (items.every(Boolean)) return items.map((e) => mdLink(citeTag(e), evidenceHref(e))).join(' ');
      return ids.every((id) => RAW_ID.test(id)) ? '' : mdEsc(p);
    }).join('').replace(/\s+([.;,])/g, '$1');
  }
  function markdownOf(a) {
    const out = [];
    const index = evidenceIndex(a);
    const c = a.case || {};
    out.push('# KEDRec answer', '', '_' + new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC' + (a.threadId ? ' · conversation ' + a.threadId : '') + '_', '');
    if (a.mode === 'evidence-only') out.push('_Evidence-only mode: no language model wrote this answer; a deterministic recommender assembled it from the knowledge base._', '');
    else if (cutModelText(a.text)) out.push(cutModelText(a.text), '');
    out.push('## Case as understood', '');
    const line = (k, v) => { if (v != null && v !== '' && !(Array.isArray(v) && !v.length)) out.push('- **' + k + ':** ' + mdEsc(Array.isArray(v) ? v.map(plainName).join(', ') : v)); };
    line('Patient', [c.age != null ? c.age + ' years' : '', c.sex || ''].filter(Boolean).join(', '));
    line('Conditions', (c.conditions || []).length ? c.conditions : 'none read');
    line('Current medications', (c.currentMedications || []).length ? c.currentMedications : 'none read');
    line('Allergies', (c.allergies || []).length ? c.allergies : 'none read');
    line('Pregnancy', c.pregnant ? 'pregnant' + (c.pregnancyWeeks != null ? ', ' + c.pregnancyWeeks + ' weeks' : '') : c.pregnant === false ? 'not pregnant' : null);
    line('Breastfeeding', c.breastfeeding ? 'yes' : null);
    line('Kidney', c.renal); line('Liver', c.hepatic);
    line('Other findings', otherFindings(c)); line("Family history (not the patient's)", c.familyHistory);
    line('Question', [c.intent === 'acute' ? 'acute treatment' : c.intent === 'prevention' ? 'prevention / maintenance' : '', c.askedClass ? 'asks for ' + c.askedClass : ''].filter(Boolean));
    out.push('');
    if ((a.changes || []).length) { out.push('## Changed this turn', ''); for (const x of a.changes) out.push('- ' + mdEsc(x)); out.push(''); }
    const cardFlags = new Set((a.recommendations || []).flatMap((r) => (r.warnings || []).map((w) => w.message)));
    const general = uniq((a.warnings || []).map((w) => w.message)).filter((m) => !cardFlags.has(m));
    if (general.length) { out.push('## Warnings', ''); for (const m of general) out.push('- ⚠ ' + mdEsc(m)); out.push(''); }
    out.push('## Recommendations', '');
    if (!(a.recommendations || []).length) out.push('No drug met the evidence and safety criteria for this case.', '');
    for (const r of a.recommendations || []) {
      const said = sentences(r.rationale);
      out.push('### ' + r.rank + '. ' + mdEsc(r.drug.name) + ' (' + r.drug.id + ')', '');
      out.push('**' + tierOf(r).text + '.** ' + mdEsc(r.summary || stripCites(said[0] || '')), '');
      for (const w of uniq((r.warnings || []).slice().sort((x, y) => flagRank(x) - flagRank(y)).map((w) => w.message))) out.push('- ⚠ ' + mdEsc(w));
      if ((r.warnings || []).length) out.push('');
      out.push('**Why:** ' + mdRich(r.rationale, index), '');
      if ((r.evidence || []).length) {
        out.push('**Sources:**', '');
        for (const e of r.evidence) out.push('- ' + mdLink(evidenceLabel(e), evidenceHref(e)));
        out.push('');
      }
    }
    const ex = a.excluded || [];
    if (ex.length) {
      out.push('## Not recommended for this patient', '');
      for (const g of groupExcluded(ex.filter((e) => e.severity === 'contraindicated' || e.severity === 'avoid_unless'))) {
        const cite = g.citation ? ' (' + mdLink(g.citation.source, g.citation.url ? safeUrl(g.citation.url) : null) + ')' : '';
        out.push('- **' + mdEsc(g.drugs.map((d) => d.name).join(', ')) + '** — ' + SEV_WORDS[g.severity] + (g.overridable ? ' (can be overridden)' : '') + ': ' + mdEsc(g.drugs.length > 1 ? g.generic.replace(/…/g, 'it') : g.reason) + cite);
      }
      const other = ex.filter((e) => e.severity === 'not_indicated' || e.severity === 'already_taking');
      if (other.length) {
        out.push('', '### Not indicated or already taken (' + other.length + ')', '');
        for (const g of groupExcluded(other)) out.push('- **' + mdEsc(g.drugs.map((d) => d.name).join(', ')) + '** — ' + SEV_WORDS[g.severity] + ': ' + mdEsc(g.drugs.length > 1 ? g.generic.replace(/…/g, 'it') : g.reason) + (g.citation ? ' (' + mdEsc(g.citation.source) + ')' : ''));
      }
      out.push('');
    }
    const notes = uniq([...(a.notices || []), ...((a.removedCitations || []).length ? ['Citations removed because no tool returned them: ' + a.removedCitations.join(', ')] : [])]);
    if (notes.length) { out.push('## Notes', ''); for (const n of notes) out.push('- ' + mdEsc(n)); out.push(''); }
    if (a.disclaimer) out.push('---', '', '_' + mdEsc(a.disclaimer) + '_', '');
    return out.join('\n');
  }
  function downloadMarkdown(a) {
    const blob = new Blob([markdownOf(a)], { type: 'text/markdown;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const x = document.createElement('a');
    x.href = url; x.download = 'kedrec-' + (a.threadId ? a.threadId.slice(0, 8) + '-' : '') + new Date().toISOString().slice(0, 10) + '.md';
    document.body.append(x); x.click(); x.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---- conversation ----
  function userMessage(text) {
    const d = el('div', 'msg user'); tid(d, 'user-message');
    d.append(el('span', 'sr-only', 'You: '), document.createTextNode(text));
    log.append(d);
    return d;
  }
  /** An answer a newer one replaces: kept whole, folded under one line that names its drugs. */
  function foldAnswer(box) {
    if (box.dataset.folded) return;
    box.dataset.folded = 'true';
    const h = box.querySelector('h2');
    h.textContent = 'Earlier answer';
    const names = [...box.querySelectorAll('.card .drug-name')].map((n) => n.firstChild.textContent.trim());
    const d = el('details', 'earlier');
    d.append(el('summary', null, 'Show the earlier answer' + (names.length ? ' (' + names.join(', ') + ')' : '')));
    while (h.nextSibling) d.append(h.nextSibling);
    box.append(d);
  }
  let answers = 0;
  function answerView() {
    const box = tid(el('article', 'answer'), 'assistant');
    const hid = 'answer-h-' + (++answers);
    const h = el('h2', null, 'Answer'); h.id = hid; box.setAttribute('aria-labelledby', hid);
    const steps = el('ol', 'steps'); steps.setAttribute('aria-live', 'polite'); steps.setAttribute('aria-label', 'Progress');
    const text = tid(el('div', 'text'), 'answer-text');
    const notes = el('div', 'notes');
    box.append(h, steps, text, notes);
    log.append(box);
    return { box, steps, text, notes, notices: new Set(), modeNotices: [], stepItems: new Map(), final: null };
  }
  const TOOL_WORDS = {
    recommend_drugs: 'Ranking candidate drugs and checking safety', check_safety: 'Checking safety rules', check_interactions: 'Checking interactions',
    find_drugs_for_condition: 'Finding drugs recorded for the condition', explain_drug_condition_link: 'Tracing how the drug acts on the condition',
    get_drug_profile: 'Reading the drug profile', resolve_entity: 'Looking up names', search_trials: 'Searching clinical trials',
    get_trial: 'Reading a trial record', search_literature: 'Searching the literature', get_article: 'Reading an article',
  };
  function argWords(args) {
    if (!args || typeof args !== 'object') return '';
    const vals = Object.values(args).filter((v) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
    return clip(vals.map((v) => (Array.isArray(v) ? v.join(', ') : v)).join('; '), 80);
  }
  function step(view, text, pending) {
    const li = el('li', pending ? 'pending' : ''); li.append(el('span', null, text)); view.steps.append(li); return li;
  }
  function disableFixes(on) { document.querySelectorAll('button.fix').forEach((b) => { b.disabled = on; }); }
  function setBusy(on) {
    busy = on; send.disabled = on; disableFixes(on);
    send.textContent = on ? 'Working…' : 'Send';
  }

  async function authHeaders() {
    let t = null; try { t = sessionStorage.getItem('kedrec.token'); } catch {}
    return t ? { authorization: 'Bearer ' + t } : {};
  }
  function askToken() {
    const t = prompt('This server needs an API token (KEDREC_API_TOKEN):');
    if (t) { try { sessionStorage.setItem('kedrec.token', t); } catch {} }
    return !!t;
  }

  async function turn(message) {
    if (intro) intro.hidden = true;
    // Corrections apply to the newest case: older answers' × controls go away, and older answers fold.
    document.querySelectorAll('.answer button.fix').forEach((b) => b.remove());
    document.querySelectorAll('.answer').forEach(foldAnswer);
    const um = userMessage(message);
    const view = answerView();
    view.box.setAttribute('aria-busy', 'true');
    const first = step(view, 'Reading the case…', true); first.dataset.initial = '1';
    um.scrollIntoView({ block: 'start' });
    controller = new AbortController();
    const signal = controller.signal;
    const finish = () => { view.box.setAttribute('aria-busy', 'false'); view.box.dataset.done = 'true'; view.steps.querySelectorAll('li.pending').forEach((li) => li.classList.remove('pending')); };
    let res;
    try {
      res = await fetch('/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders()) }, body: JSON.stringify(threadId ? { thread_id: threadId, message } : { message }), signal });
    } catch (err) {
      view.box.append(el('p', 'error', 'Could not reach the server: ' + String(err && err.message || err)));
      finish(); return;
    }
    if (res.status === 401 && askToken()) { um.remove(); view.box.remove(); return turn(message); }
    if (!res.ok || !res.body) {
      let msg = 'HTTP ' + res.status;
      try { const j = await res.json(); msg = j.error.code + ': ' + j.error.message; } catch {}
      const e = el('p', 'error', msg); e.setAttribute('role', 'alert'); view.box.append(e); finish(); return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let ended = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || signal.aborted) break;
        buf += value;
        let i;
        // After "New case" nothing of this turn reaches the page (not even a queued thread id).
        while (!signal.aborted && (i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i); buf = buf.slice(i + 2);
          let event = 'message', data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          }
          if (!data) continue;
          const ev = JSON.parse(data);
          if (event === 'thread') setThread(ev.thread_id);
          else if (event === 'token') { if (!view.text.isConnected) view.box.append(view.text); view.text.textContent += ev.text; }
          else if (event === 'tool_call') {
            if (first.classList.contains('pending')) { first.classList.remove('pending'); first.firstChild.textContent = 'Read the case'; }
            const li = step(view, (TOOL_WORDS[ev.name] || String(ev.name).replace(/_/g, ' ')) + (ev.name === 'recommend_drugs' ? '' : argWords(ev.args) ? ': ' + argWords(ev.args) : '') + '…', true);
            li.append(' ', el('code', null, ev.name));
            tid(li, 'tool-step'); view.stepItems.set(ev.id, li);
          }
          else if (event === 'tool_result') {
            let li = view.stepItems.get(ev.id);
            if (!li) { li = step(view, TOOL_WORDS[ev.name] || ev.name, false); tid(li, 'tool-step'); }
            li.classList.remove('pending');
            li.firstChild.textContent = li.firstChild.textContent.replace(/…$/, '');
            li.append(' — ' + clip(ev.summary, 160));
            if (!ev.ok) li.classList.add('failed');
          }
          else if (event === 'notice') addNotice(view, ev.message);
          else if (event === 'final') { renderFinal(view, ev.answer); ended = true; finish(); announce.textContent = 'Answer ready: ' + (ev.answer.recommendations || []).length + ' recommendations.'; }
          else if (event === 'error') { const e = el('p', 'error', ev.code + ': ' + ev.message); e.setAttribute('role', 'alert'); view.box.append(e); ended = true; finish(); }
        }
      }
    } catch (err) {
      if (!(err && err.name === 'AbortError')) { const e = el('p', 'error', 'The answer stopped: ' + String(err && err.message || err)); e.setAttribute('role', 'alert'); view.box.append(e); }
      ended = true;
    }
    if (!ended) view.box.append(el('p', 'error', 'The answer ended early.'));
    finish();
  }

  async function submitMessage(message) {
    message = String(message || '').trim();
    if (!message || busy) return;
    setBusy(true);
    try { await turn(message); } catch (err) { log.append(el('p', 'error', String(err))); }
    finally { controller = null; setBusy(false); input.focus(); }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (busy) return;
    const message = input.value.trim(); if (!message) return;
    input.value = '';
    submitMessage(message);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    if (!busy) form.requestSubmit();
  });
  newBtn.addEventListener('click', () => {
    if (controller) controller.abort();
    setThread(null);
    log.querySelectorAll('.msg, .answer, .error').forEach((n) => n.remove());
    if (intro) intro.hidden = false;
    announce.textContent = 'New case: the next message starts a clean conversation.';
    input.value = ''; input.focus();
  });
  document.querySelectorAll('button.example').forEach((b) => b.addEventListener('click', () => { input.value = b.textContent; input.focus(); }));

  // Printing shows every expandable section; they close again afterwards.
  let opened = [];
  window.addEventListener('beforeprint', () => { opened = [...document.querySelectorAll('details:not([open])')]; opened.forEach((d) => { d.open = true; }); });
  window.addEventListener('afterprint', () => { opened.forEach((d) => { d.open = false; }); opened = []; });

  // ---- restore the conversation named in the URL ----
  async function restore(id) {
    setBusy(true);
    try {
      let res = await fetch('/v1/threads/' + encodeURIComponent(id), { headers: await authHeaders() });
      if (res.status === 401 && askToken()) res = await fetch('/v1/threads/' + encodeURIComponent(id), { headers: await authHeaders() });
      if (!res.ok) {
        setThread(null);
        const p = el('p', 'notice', res.status === 404 ? 'The conversation in this page address is no longer on the server (it may have restarted). Your next message starts a new case.' : 'Could not load the conversation (HTTP ' + res.status + '). Your next message starts a new case.');
        tid(p, 'restore-notice'); log.append(p);
        return;
      }
      const t = await res.json();
      setThread(t.threadId || id);
      const msgs = (t.messages || []).filter((m) => m.role === 'user' || m.role === 'assistant');
      const lastAssistant = msgs.map((m) => m.role).lastIndexOf('assistant');
      if (msgs.length && intro) intro.hidden = true;
      msgs.forEach((m, i) => {
        if (m.role === 'user') { userMessage(m.content); return; }
        const view = answerView();
        view.box.dataset.restored = 'true';
        if (i === lastAssistant && t.lastAnswer) {
          if (t.lastAnswer.mode === 'model') view.text.textContent = m.content;
          renderFinal(view, t.lastAnswer);
          view.box.dataset.done = 'true';
        } else {
          // Earlier answers: kept as delivered, folded (the newest answer is the one that counts).
          view.text.remove();
          view.box.querySelector('h2').textContent = 'Earlier answer';
          view.box.dataset.folded = 'true';
          const d = el('details', 'earlier');
          d.append(el('summary', null, 'Show the earlier answer'));
          d.append(richText(el('div', 'text'), m.content, null));
          view.box.append(d);
          view.box.dataset.done = 'true';
        }
        // Only the newest answer's case takes corrections.
        if (i !== lastAssistant) view.box.querySelectorAll('button.fix').forEach((b) => b.remove());
      });
      announce.textContent = 'Conversation restored.';
    } catch (err) {
      log.append(el('p', 'error', 'Could not load the conversation: ' + String(err && err.message || err)));
    } finally { setBusy(false); }
  }
  const fromUrl = new URL(location.href).searchParams.get('thread');
  if (fromUrl && THREAD_RE.test(fromUrl)) restore(fromUrl);
  else if (fromUrl) setThread(null);
})();
`;
