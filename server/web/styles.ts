/**
 * The chat page's stylesheet (inlined under the page's CSP nonce). The page scrolls as one
 * document, so printing or a full-page capture shows the whole conversation; colours meet WCAG AA
 * contrast on their backgrounds; print turns everything black on white and shows link targets.
 */
export const PAGE_CSS = `
  :root {
    --ink: #1d2430; --muted: #4a5568; --line: #d5dbe4; --bg: #f4f6f9; --card: #fff; --brand: #22304a;
    --link: #1a4fc4; --focus: #1a4fc4;
    --red-ink: #8a1c12; --red-bg: #fdeceb; --red-line: #c0362c;
    --amber-ink: #6b3d00; --amber-bg: #fff4e0; --amber-line: #c77700;
    --yellow-bg: #fffbe6; --yellow-line: #b59a00;
    --blue-bg: #eef5ff; --blue-line: #8db4ec;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg);
    line-height: 1.45;
  }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
  a { color: var(--link); }
  a:focus-visible, button:focus-visible, summary:focus-visible, textarea:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  .sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
  .skip { position: absolute; left: 8px; top: -40px; background: #fff; color: var(--ink); padding: 6px 10px; z-index: 10; border-radius: 4px; }
  .skip:focus { top: 8px; }
  button { font: inherit; cursor: pointer; }
  button:disabled { cursor: not-allowed; }

  /* Header: one line at every width. */
  .top { display: flex; align-items: center; gap: 12px; padding: 8px 16px; background: var(--brand); color: #fff; white-space: nowrap; min-width: 0; }
  .top h1 { font-size: 18px; margin: 0; letter-spacing: .3px; }
  .top .tag { font-size: 13px; color: #dce3ee; overflow: hidden; text-overflow: ellipsis; min-width: 0; flex: 1; }
  .top .tag-short { display: none; font-size: 13px; color: #dce3ee; flex: 1; }
  .top .thread { font-size: 12px; color: #dce3ee; font-variant-numeric: tabular-nums; }
  .top button { background: #fff; color: var(--brand); border: 0; border-radius: 6px; padding: 5px 12px; font-size: 14px; font-weight: 600; }
  @media (max-width: 720px) {
    .top .tag { display: none; }
    .top .tag-short { display: inline; }
    .top .thread { display: none; }
  }

  main { flex: 1; width: 100%; max-width: 1180px; margin: 0 auto; padding: 16px; display: flex; flex-direction: column; gap: 14px; }
  .intro { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
  .intro h2 { margin: 0 0 6px; font-size: 17px; }
  .intro p { margin: 4px 0; }
  .intro ul { margin: 8px 0 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 4px; }
  .intro .try { font-size: 13px; color: var(--muted); margin-top: 8px; }
  .example { display: block; width: 100%; background: none; border: 0; border-left: 3px solid var(--blue-line); padding: 2px 0 2px 8px; color: var(--link); text-decoration: underline; text-align: left; }

  .msg.user { align-self: flex-end; max-width: min(760px, 92%); background: #dbe7ff; color: #10203d; padding: 9px 13px; border-radius: 10px 10px 2px 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .msg.user .who { display: block; font-size: 12px; font-weight: 600; color: #2c3e63; }

  .answer { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px 14px; }
  .answer > h2 { font-size: 13px; font-weight: 600; color: var(--muted); margin: 0 0 6px; text-transform: uppercase; letter-spacing: .5px; }
  .answer h3 { margin: 0 0 6px; font-size: 16px; }
  .answer h4 { margin: 0 0 4px; font-size: 14px; }

  .steps { list-style: none; margin: 0 0 8px; padding: 0; font-size: 13px; color: var(--muted); display: flex; flex-direction: column; gap: 2px; }
  .steps li { padding-left: 1.4em; text-indent: -1.4em; }
  .steps li::before { content: "✓"; color: #1e7a3c; font-weight: 700; display: inline-block; width: 1.4em; text-indent: 0; }
  .steps li.pending::before { content: "●"; color: var(--link); animation: pulse 1s ease-in-out infinite; }
  .steps li.failed { color: var(--red-ink); }
  .steps li.failed::before { content: "✕"; color: var(--red-ink); }
  .steps code { font-size: 11px; color: var(--muted); }
  @keyframes pulse { 50% { opacity: .25; } }
  @media (prefers-reduced-motion: reduce) { .steps li.pending::before { animation: none; } }

  .badge { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 999px; padding: 2px 10px; border: 1px solid; }
  .mode-badge { background: var(--blue-bg); border: 1px solid var(--blue-line); color: #163a6b; margin: 0 0 8px; display: inline-block; font-size: 13px; border-radius: 6px; padding: 4px 10px; }
  .mode-badge strong { margin-right: 4px; }
  .text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0 10px; }
  .text:empty { display: none; }

  .layout { display: grid; gap: 14px; grid-template-columns: minmax(0, 1fr); }
  @media (min-width: 980px) { .layout { grid-template-columns: minmax(0, 1fr) 320px; } .layout > .case { grid-column: 2; grid-row: 1 / span 2; align-self: start; } }

  /* Case panel */
  .case { border: 1px solid var(--line); background: #f7f9fc; border-radius: 8px; padding: 10px 12px; font-size: 14px; }
  .case dl { margin: 0; display: grid; grid-template-columns: minmax(0, 1fr); gap: 2px; }
  .case dt { font-weight: 600; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; margin-top: 6px; }
  .case dd { margin: 0; display: flex; flex-wrap: wrap; gap: 4px 6px; align-items: center; }
  .case .none { color: var(--muted); font-style: italic; }
  .chip { display: inline-flex; align-items: center; gap: 2px; background: #fff; border: 1px solid var(--line); border-radius: 999px; padding: 1px 4px 1px 9px; }
  .chip.plain { padding-right: 9px; }
  .fix { background: none; border: 0; color: var(--muted); font-size: 15px; line-height: 1; padding: 2px 5px; border-radius: 999px; }
  .fix:hover { background: var(--red-bg); color: var(--red-ink); }
  .fix.edit { font-size: 12px; text-decoration: underline; border-radius: 4px; }
  .fix:disabled { opacity: .5; }
  .case .hint { font-size: 12px; color: var(--muted); margin: 8px 0 0; }
  .changes { margin-top: 10px; border-top: 1px solid var(--line); padding-top: 8px; }
  .changes ul { margin: 0; padding-left: 18px; }

  /* Recommendation cards */
  .recs { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
  .card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: #fff; }
  .card h3 { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 8px; }
  .card .rank { display: inline-flex; justify-content: center; min-width: 24px; height: 24px; align-items: center; border-radius: 999px; background: var(--brand); color: #fff; font-size: 13px; }
  .card .drug-id { font-size: 12px; font-weight: 400; color: var(--muted); }
  .tier { font-size: 12px; font-weight: 600; border-radius: 4px; padding: 1px 7px; background: #e8f3ec; color: #1b5e34; border: 1px solid #9fcdb0; }
  .tier.weak { background: #f1f2f4; color: #3d4654; border-color: #c8ced8; }
  .summary { margin: 2px 0 6px; }
  .shared { margin: 0 0 8px; font-size: 14px; color: var(--muted); }
  .for-patient { margin: 0 0 6px; padding-left: 18px; font-size: 14px; }
  .card details { margin-top: 6px; }
  .card summary { cursor: pointer; color: var(--link); font-size: 14px; }
  .rationale { margin: 6px 0; font-size: 14px; }
  .evidence { margin: 4px 0 0; padding-left: 22px; font-size: 13px; display: flex; flex-direction: column; gap: 3px; }
  .evidence .kind { font-size: 11px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); margin-right: 4px; }
  .evidence .snippet { color: var(--muted); }
  .evidence .src { font-size: 11px; color: var(--muted); }
  a.cite { font-size: 12px; white-space: nowrap; }

  /* Safety flags: boxed warnings most prominent, then exclusions, cautions, monitoring, side effects. */
  .flags { list-style: none; margin: 6px 0; padding: 0; display: flex; flex-direction: column; gap: 5px; }
  .warning { border-left: 4px solid var(--yellow-line); background: var(--yellow-bg); padding: 5px 9px; font-size: 14px; border-radius: 0 6px 6px 0; overflow-wrap: anywhere; }
  .warning .lvl { font-weight: 700; margin-right: 4px; }
  .warning a { font-size: 12px; margin-left: 4px; }
  .warning.boxed { border: 2px solid var(--red-line); border-left-width: 6px; background: var(--red-bg); color: var(--red-ink); }
  .warning.severe { border-left-color: var(--red-line); background: var(--red-bg); color: var(--red-ink); }
  .warning.caution { border-left-color: var(--amber-line); background: var(--amber-bg); color: var(--amber-ink); }
  .warning.minor { border-left-color: #b8c0cc; background: #f6f7f9; color: var(--muted); font-size: 13px; }
  .answer-warnings { display: flex; flex-direction: column; gap: 6px; }

  /* Not recommended */
  .excluded { border: 1px solid #efc4c0; background: #fff8f7; border-radius: 8px; padding: 10px 12px; font-size: 14px; }
  .excluded ul { margin: 4px 0; padding-left: 18px; display: flex; flex-direction: column; gap: 4px; }
  .excluded .sev { font-weight: 700; color: var(--red-ink); }
  .excluded .sev.avoid { color: var(--amber-ink); }
  .excluded details { margin-top: 6px; }
  .excluded summary { cursor: pointer; color: var(--link); }
  .excluded .none { color: var(--muted); }

  .notes .notice { margin: 0 0 8px; }
  .notice { font-size: 13px; color: #5c4500; background: #fff9e8; border: 1px solid #ecd9a0; border-radius: 6px; padding: 4px 8px; margin-top: 8px; }
  .error { color: var(--red-ink); background: var(--red-bg); border: 1px solid var(--red-line); border-radius: 6px; padding: 6px 10px; margin-top: 8px; }
  .disclaimer { font-size: 12px; color: var(--muted); margin-top: 10px; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
  .actions button { background: #fff; border: 1px solid #9aa6b8; border-radius: 6px; padding: 4px 12px; font-size: 13px; color: var(--ink); }
  .earlier summary { cursor: pointer; color: var(--link); }

  /* The form ends the document (not fixed or sticky: a full-page capture would show it over the answers). */
  form { background: #fff; border-top: 1px solid var(--line); padding: 10px 16px 12px; }
  form .row { max-width: 1180px; margin: 0 auto; display: flex; gap: 8px; align-items: flex-end; }
  form .field { flex: 1; display: flex; flex-direction: column; gap: 2px; min-width: 0; }
  form label { font-size: 13px; font-weight: 600; }
  form .hint { font-size: 12px; color: var(--muted); }
  textarea { resize: vertical; min-height: 48px; max-height: 40vh; font: inherit; padding: 8px; border: 1px solid #8a96a8; border-radius: 6px; width: 100%; }
  #send { background: var(--brand); color: #fff; border: 0; border-radius: 6px; padding: 10px 20px; font-weight: 600; }
  #send:disabled { background: #8a96a8; }
  @media (min-width: 561px) { #send { margin-bottom: 19px; } }
  .mode-badge.model { background: #f3f0ff; border-color: #b9aef0; color: #33286b; }
  @media (max-width: 560px) { form .hint { display: none; } main { padding: 10px; } .answer { padding: 10px; } }

  @media print {
    :root { background: #fff; color: #000; }
    * { color: #000 !important; background: #fff !important; box-shadow: none !important; }
    body { display: block; min-height: 0; }
    form, .skip, .fix, .actions, .example, .top button, .steps li.pending, .case .hint { display: none !important; }
    .top { padding: 0 0 6px; border-bottom: 2px solid #000; }
    .top .tag { display: inline !important; }
    main { max-width: none; padding: 0; }
    .layout { display: block; }
    .layout > * { margin-bottom: 10px; }
    .answer, .card, .excluded, .case, .warning { border-color: #000 !important; break-inside: avoid; }
    .answer { break-inside: auto; }
    .warning.boxed { border-width: 2px; }
    a { text-decoration: underline; }
    a[href^="http"]::after { content: " <" attr(href) ">"; font-size: 9pt; overflow-wrap: anywhere; }
    a.cite::after { content: none; }
    summary { list-style: none; }
  }
`;
