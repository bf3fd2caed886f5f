/** What the page shows and enforces, all taken from the model and the handler's settings. */
export interface PageSettings {
  modelName: string;
  modelVersion: string;
  labelCount: number;
  /** The `top_k` the page starts with (the handler's default, capped at the label count). */
  defaultTopK: number;
  /** Images per request (MAX_BATCH_IMAGES). */
  maxBatchImages: number;
  /** Bytes one request may carry (request-limits.ts). */
  maxRequestBytes: number;
}

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => escapes[character]!);

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;

/** The HTML document: markup and settings only; the style and the script come in verbatim (their hashes are in the CSP). */
export function pageDocument(settings: PageSettings, inline: { style: string; script: string }): string {
  const model = `${escapeHtml(settings.modelName)} ${escapeHtml(settings.modelVersion)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Image classifier</title>
<style>${inline.style}</style>
</head>
<body>
<main id="app" data-max-images="${settings.maxBatchImages}" data-max-bytes="${settings.maxRequestBytes}" data-label-count="${settings.labelCount}">
<h1>Image classifier</h1>
<p class="model">Model: <strong>${model}</strong>, ${settings.labelCount} labels</p>
<form id="picker" class="picker" novalidate>
<input id="files" class="visually-hidden" type="file" accept="image/*" multiple aria-describedby="limits">
<label for="files" id="drop" class="drop"><span class="drop-title">Choose images</span><span>or drop them here, or paste one (Ctrl+V)</span></label>
<p id="limits" class="hint">Up to ${settings.maxBatchImages} images in one request and ${megabytes(settings.maxRequestBytes)} per request; JPEG, PNG, WebP, GIF, AVIF or TIFF. Larger selections go as several requests.</p>
<div class="controls">
<label for="top-k">Labels per image</label>
<input id="top-k" name="top_k" type="number" inputmode="numeric" required min="1" max="${settings.labelCount}" step="1" value="${settings.defaultTopK}">
<button id="classify" type="submit" disabled>Classify again</button>
<button id="clear" class="secondary" type="button">Clear results</button>
</div>
</form>
<p id="status" role="status" aria-live="polite"></p>
<div id="results" aria-live="polite" aria-label="Results"></div>
</main>
<script>${inline.script}</script>
</body>
</html>
`;
}
