// The chat's stylesheet, adopted by each <siger-chat> shadow root: the host page's CSS cannot
// reach inside, and nothing here leaks out. Inherited properties do cross the boundary, through
// the host element, so :host sets every inherited one the text depends on, !important (inside
// a shadow tree's own !important beats the page's, even `* { … !important }`); and sizes are in
// em of that base, never rem (the page's root font size). Colours are custom properties; `theme="dark"`,
// `theme="light"` or the system's preference (`theme="auto"`, the default) picks them.

const DARK = `
  --bg: #16140f; --panel: #1f1c16; --fg: #eee8dc; --muted: #b3ab9b; --line: #3b362c;
  --accent: #e07a5f; --accent-fg: #16140f; --user: #2c2820; --bot: #1f1c16; --focus: #8ab4ff;
  --warn-bg: #3d3210; --warn-fg: #f3dc9a; --error-bg: #45191a; --error-fg: #ffc9c9;
  --src-phrasebook: #5fd48a; --src-lexicon: #8ab4ff; --src-morphology: #cfa2ff; --src-rule: #7fd6d0;
  --src-model: #ffb35c; --src-unknown: #ff8a8a; --mark: #6b5a12;
  color-scheme: dark;`;

export const STYLES = String.raw`
:host {
  --bg: #fbfaf7; --panel: #ffffff; --fg: #1d1b16; --muted: #5f5a4f; --line: #ddd7ca;
  --accent: #8a1c1c; --accent-fg: #ffffff; --user: #f3ece0; --bot: #ffffff; --focus: #1f5fbf;
  --warn-bg: #fff4d6; --warn-fg: #5a4300; --error-bg: #fde8e8; --error-fg: #7a1010;
  --src-phrasebook: #1b7f3b; --src-lexicon: #1f5fbf; --src-morphology: #7b3fb3; --src-rule: #0f6f6a;
  --src-model: #b35c00; --src-unknown: #a11; --src-punctuation: transparent; --mark: #ffe58a;
  --radius: 12px;
  display: block;
  color-scheme: light;
}
:host {
  color: var(--fg) !important; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif !important;
  letter-spacing: normal !important; word-spacing: normal !important; text-align: start !important;
  text-indent: 0 !important; text-transform: none !important; text-shadow: none !important;
  white-space: normal !important; word-break: normal !important; overflow-wrap: normal !important;
  font-kerning: auto !important; font-size-adjust: none !important; hyphens: manual !important;
  visibility: visible !important; cursor: auto !important; direction: ltr !important;
  writing-mode: horizontal-tb !important; list-style: disc outside !important; tab-size: 8 !important;
  text-rendering: auto !important; -webkit-text-fill-color: currentcolor !important;
}
:host([hidden]) { display: none; }
:host([theme="dark"]) { ${DARK} }
@media (prefers-color-scheme: dark) { :host(:not([theme="light"])) { ${DARK} } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
button, input, select, textarea { font: inherit; color: inherit; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.app { display: flex; background: var(--bg); color: var(--fg); height: 100%; min-height: 420px; border: 1px solid var(--line); border-radius: var(--radius); overflow: hidden; position: relative; }
:host([page]) { height: 100%; }
:host([page]) .app { border: 0; border-radius: 0; min-height: 100%; }
:host(:not([page]):not([launcher])) .app { height: 560px; }

/* Threads */
.threads { width: 260px; flex: none; border-right: 1px solid var(--line); background: var(--panel); display: flex; flex-direction: column; }
.threads header { padding: 12px; border-bottom: 1px solid var(--line); }
.threads ul { list-style: none; margin: 0; padding: 6px; overflow-y: auto; flex: 1; }
.threads li { display: flex; align-items: center; gap: 2px; border-radius: 8px; }
.threads li[aria-current="true"] { background: var(--user); }
.threads li .open { flex: 1; text-align: left; background: none; border: 0; padding: 8px; border-radius: 8px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.threads li .icon { opacity: 0.75; }

/* Main column */
.main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
.top { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
.top .title { font-size: 1.15em; margin: 0; color: var(--accent); }
.top .status { flex: 1; color: var(--muted); font-size: 0.85em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.icon { background: none; border: 1px solid transparent; border-radius: 8px; padding: 6px 8px; min-width: 40px; min-height: 40px; }
.icon:hover { border-color: var(--line); }
.text-button { background: none; border: 1px solid var(--line); border-radius: 999px; padding: 4px 12px; min-height: 36px; font-size: 0.9em; }

.progress { padding: 8px 12px; border-bottom: 1px solid var(--line); font-size: 0.9em; }
.progress progress { width: 100%; height: 10px; accent-color: var(--accent); }
.dictionary { margin: 0; padding: 0 12px 6px; color: var(--muted); font-size: 0.85em; }
.dictionary .label { font-weight: 600; }
.dictionary a { color: inherit; }

.notices { display: flex; flex-direction: column; gap: 6px; padding: 0 12px; }
.notices:not(:empty) { padding: 8px 12px; }
.notice { display: flex; gap: 8px; align-items: flex-start; padding: 8px 12px; border-radius: 8px; background: var(--warn-bg); color: var(--warn-fg); font-size: 0.92em; }
.notice.error { background: var(--error-bg); color: var(--error-fg); }
.notice .body { flex: 1; min-width: 0; }
.notice p { margin: 0; }
.notice details { margin-top: 4px; font-size: 0.9em; }
.notice summary { cursor: pointer; }
.notice code { display: block; margin-top: 2px; white-space: pre-wrap; overflow-wrap: anywhere; }
.limit { margin: 0; color: var(--error-fg); font-size: 0.85em; }
.composer .limit { flex-basis: 100%; }

.modes { display: flex; gap: 6px; padding: 8px 12px; overflow-x: auto; scrollbar-width: none; }
.chip { flex: none; }
.chip { border: 1px solid var(--line); background: var(--panel); border-radius: 999px; padding: 4px 14px; min-height: 36px; font-size: 0.9em; }
.chip[aria-pressed="true"] { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }

.messages { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
.message { max-width: 46em; padding: 8px 12px; border-radius: var(--radius); border: 1px solid var(--line); background: var(--bot); }
.message[data-role="user"] { align-self: flex-end; background: var(--user); }
.message[data-role="greeting"] { color: var(--muted); border-style: dashed; }
.message .who { font-size: 0.78em; color: var(--muted); font-weight: 600; }
.message .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.message .note { color: var(--muted); font-size: 0.85em; font-style: italic; }
.message .actions { display: flex; gap: 4px; margin-top: 4px; flex-wrap: wrap; }
.message .actions button { background: none; border: 1px solid var(--line); border-radius: 6px; font-size: 0.8em; padding: 2px 8px; min-height: 30px; }
.message textarea { width: 100%; min-height: 4em; }
.message[aria-busy="true"] .text::after { content: "▍"; animation: blink 1s steps(2) infinite; }
@keyframes blink { 50% { opacity: 0; } }
@media (prefers-reduced-motion: reduce) { .message[aria-busy="true"] .text::after { animation: none; } }

/* Where a reply comes from: the model's own words say so; an answer from a source cites it. */
.message .provenance { margin: 4px 0 0; color: var(--muted); font-size: 0.78em; }
.citations { margin-top: 6px; font-size: 0.88em; }
.citations .label { margin: 0; font-weight: 600; color: var(--muted); font-size: 0.9em; }
.citations ol { margin: 4px 0 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 6px; }
.citation { display: block; width: 100%; text-align: start; background: var(--user); border: 1px solid var(--line); border-left: 3px solid var(--accent); border-radius: 6px; padding: 4px 8px; white-space: normal; overflow-wrap: anywhere; }
.citation .where { color: var(--muted); font-size: 0.9em; }
.passage { margin: 4px 0 0; padding: 6px 10px; border-left: 3px solid var(--line); background: var(--bg); border-radius: 0 6px 6px 0; }
.passage p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.passage mark { background: var(--mark); color: inherit; border-radius: 2px; padding: 0 1px; }
.passage footer { color: var(--muted); font-size: 0.85em; margin-top: 2px; }

/* A source to answer from: its line above the messages, the form that attaches one. */
.source-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; padding: 0 12px 6px; color: var(--muted); font-size: 0.85em; }
.source-bar .what { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.source-bar .label { font-weight: 600; }
.source-bar [data-part="source-name"] { color: var(--fg); }
.source-form { display: flex; flex-direction: column; gap: 8px; padding: 10px 12px; border-top: 1px solid var(--line); background: var(--panel); }
.source-form .row { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.source-form .help { margin: 0; color: var(--muted); font-size: 0.85em; }
.source-form textarea { width: 100%; min-height: 6em; max-height: 40vh; resize: vertical; padding: 10px; border-radius: 10px; border: 1px solid var(--line); background: var(--bg); }
.source-actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.file { position: relative; display: inline-flex; align-items: center; cursor: pointer; }
.file:focus-within { outline: 3px solid var(--focus); outline-offset: 2px; }
.source-button { display: inline-flex; align-items: center; gap: 4px; min-height: 44px; }
@media (max-width: 480px) { .source-button .label { display: none; } }

/* Translations: every word says where it came from. */
.token { border-bottom: 3px solid var(--src-unknown); padding: 0 1px; }
.token[data-source="phrasebook"] { border-color: var(--src-phrasebook); }
.token[data-source="lexicon"] { border-color: var(--src-lexicon); }
.token[data-source="morphology"] { border-color: var(--src-morphology); }
.token[data-source="rule"] { border-color: var(--src-rule); }
.token[data-source="model"] { border-bottom-style: dashed; border-color: var(--src-model); }
.token[data-source="unknown"] { border-bottom-style: dotted; }
.token[data-source="punctuation"] { border-color: transparent; }
.sources { font-size: 0.85em; margin-top: 6px; }
.sources ol { margin: 4px 0; padding-left: 1.2em; }
.sources .src { font-weight: 600; }
.sources .src[data-source="phrasebook"] { color: var(--src-phrasebook); }
.sources .src[data-source="lexicon"] { color: var(--src-lexicon); }
.sources .src[data-source="morphology"] { color: var(--src-morphology); }
.sources .src[data-source="rule"] { color: var(--src-rule); }
.sources .src[data-source="model"] { color: var(--src-model); }
.sources .src[data-source="unknown"] { color: var(--src-unknown); }

.composer { display: flex; flex-wrap: wrap; gap: 8px; padding: 10px 12px; border-top: 1px solid var(--line); background: var(--panel); align-items: flex-end; }
.composer textarea { flex: 1; resize: none; min-height: 44px; max-height: 10em; padding: 10px; border-radius: 10px; border: 1px solid var(--line); background: var(--bg); }
.primary { background: var(--accent); color: var(--accent-fg); border: 0; border-radius: 10px; padding: 0 16px; min-height: 44px; font-weight: 600; }
.primary:disabled { opacity: 0.5; cursor: not-allowed; }
.secondary { background: var(--panel); border: 1px solid var(--accent); color: var(--accent); border-radius: 10px; padding: 0 16px; min-height: 44px; font-weight: 600; }

/* Settings drawer */
.settings { position: absolute; inset: 0 0 0 auto; width: min(360px, 100%); background: var(--panel); border-left: 1px solid var(--line); box-shadow: -8px 0 24px rgb(0 0 0 / 0.15); padding: 16px; overflow-y: auto; z-index: 2; display: flex; flex-direction: column; gap: 14px; }
.settings h2 { margin: 0; font-size: 1.1em; flex: 1; }
.settings .row { display: flex; align-items: center; }
.settings label { display: flex; flex-direction: column; gap: 4px; font-weight: 600; font-size: 0.92em; }
.settings input, .settings select { font-weight: 400; padding: 6px 8px; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); }
.settings input[type="range"] { padding: 0; accent-color: var(--accent); }
.settings small { color: var(--muted); font-weight: 400; }
.settings .clear { display: flex; flex-direction: column; align-items: flex-start; gap: 4px; }
.threads li [data-action="delete-thread"] { font-size: 1.3em; line-height: 1; }
.danger { border: 1px solid var(--error-fg); color: var(--error-fg); background: var(--error-bg); border-radius: 10px; min-height: 40px; }

/* The floating launcher */
.launcher { position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; border-radius: 50%; border: 0; background: var(--accent); color: var(--accent-fg); font-size: 1.6em; box-shadow: 0 6px 20px rgb(0 0 0 / 0.25); z-index: 2147483646; }
:host([launcher]) .app { position: fixed; right: 20px; bottom: 92px; width: min(400px, calc(100vw - 24px)); height: min(600px, calc(100vh - 120px)); z-index: 2147483647; box-shadow: 0 12px 40px rgb(0 0 0 / 0.3); min-height: 0; }
@media (max-width: 480px) { :host([launcher]) .app { right: 12px; left: 12px; width: auto; bottom: 88px; } }

/* Phones: the thread list becomes a drawer. */
@media (max-width: 720px) {
  .threads { position: absolute; inset: 0 auto 0 0; z-index: 3; box-shadow: 8px 0 24px rgb(0 0 0 / 0.2); width: min(300px, 85%); }
  .threads:not(.open) { display: none; }
}
@media (min-width: 721px) { .toggle-threads { display: none; } }
`;

let sheet = null; // one constructed stylesheet, shared by every <siger-chat>

/** Styles a shadow root: with the shared sheet, or, in older browsers, a <style> of its own. */
export function adoptStyles(root) {
  if (!sheet && 'adoptedStyleSheets' in Document.prototype) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
  }
  if (sheet) {
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style'); // a strict CSP (no inline style) may block it
    style.textContent = STYLES;
    root.append(style);
  }
}
