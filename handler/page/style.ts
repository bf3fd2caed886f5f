/**
 * The page's stylesheet, served inline and allowed by its sha256 in the CSP. Kept in a TypeScript string so that
 * `npm start` (tsx), vitest and the esbuild bundle all load it the same way, with no file to ship beside index.mjs.
 */
export const PAGE_STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b57d0; --accent-soft: #e8f0fe;
  --error: #a4000f; --error-soft: #fff0f0; --focus: #b45309; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  line-height: 1.45; color: var(--ink); background: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; }
main { max-width: 68rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.25rem 0; }
h2 { font-size: 1.1rem; margin: 0; }
h3 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
p { margin: 0.25rem 0; }
.model, .hint, .meta, .timings { color: var(--muted); font-size: 0.9rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.picker { display: grid; gap: 0.75rem; margin: 1rem 0; }
.drop { display: grid; place-items: center; gap: 0.25rem; min-height: 8rem; padding: 1rem; text-align: center; cursor: pointer;
  border: 2px dashed var(--accent); border-radius: 0.75rem; background: #fff; }
.drop:hover, .drop.over { background: var(--accent-soft); }
.drop-title { font-size: 1.15rem; font-weight: 600; color: var(--accent); }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.75rem; }
.controls input { width: 4.5rem; font: inherit; padding: 0.35rem 0.5rem; border: 1px solid var(--muted); border-radius: 0.4rem; }
button { font: inherit; padding: 0.45rem 0.9rem; border-radius: 0.4rem; border: 1px solid var(--accent); cursor: pointer;
  background: var(--accent); color: #fff; }
button.secondary { background: #fff; color: var(--accent); }
button:disabled { cursor: not-allowed; opacity: 0.55; }
:focus-visible, #files:focus-visible + .drop { outline: 3px solid var(--focus); outline-offset: 3px; }
#status { min-height: 1.5em; font-weight: 600; }
.run { margin: 1rem 0; padding-top: 0.5rem; border-top: 1px solid var(--line); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: 0.75rem; margin-top: 0.5rem; }
.card { display: grid; gap: 0.5rem; align-content: start; padding: 0.75rem; background: #fff; border: 1px solid var(--line);
  border-radius: 0.75rem; min-width: 0; }
.preview { width: 100%; height: 11rem; object-fit: contain; background: #eef1f4; border-radius: 0.4rem; }
.no-preview { display: grid; place-items: center; height: 11rem; background: #eef1f4; border-radius: 0.4rem; color: var(--muted); }
.predictions { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.3rem; }
.prediction { display: grid; grid-template-columns: minmax(0, 7.5rem) 1fr auto; align-items: center; gap: 0.5rem; }
.label { overflow-wrap: anywhere; }
.bar { height: 0.65rem; background: #e6e9ed; border-radius: 1rem; overflow: hidden; }
.fill { display: block; height: 100%; width: 0; background: var(--accent); border-radius: 1rem; }
.score { font-variant-numeric: tabular-nums; font-size: 0.9rem; }
.pending { color: var(--muted); }
.error { padding: 0.5rem; border-radius: 0.4rem; background: var(--error-soft); color: var(--error); overflow-wrap: anywhere; }
.error code { font-weight: 700; margin-right: 0.35rem; }
@media (prefers-reduced-motion: no-preference) { .fill { transition: width 0.3s ease-out; } }
`;
