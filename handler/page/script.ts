/**
 * The page's script (vanilla JS, no framework), served inline and allowed by its sha256 in the CSP. Kept in a
 * TypeScript string so that `npm start` (tsx), vitest and the esbuild bundle all load it the same way, with no file
 * to ship beside index.mjs. It builds the DOM with createElement/textContent only (the CSP enforces Trusted Types),
 * reads its limits from the page's data attributes (written from the handler's settings) and sends requests to
 * this origin only: one image as a raw body, several as one multipart/form-data batch.
 *
 * Written without template literals, backslashes or "${", so the string below is exactly the script served.
 */
export const PAGE_SCRIPT = `
"use strict";
(() => {
  const byId = (id) => document.getElementById(id);
  const app = byId("app");
  const limits = {
    maxImages: Number(app.dataset.maxImages),
    maxBytes: Number(app.dataset.maxBytes),
    labelCount: Number(app.dataset.labelCount),
  };
  // What multipart/form-data adds around each file (boundary, headers, file name) and at the end; generous.
  const PART_OVERHEAD_BYTES = 320;
  const FORM_OVERHEAD_BYTES = 128;
  const fileInput = byId("files");
  const dropZone = byId("drop");
  const form = byId("picker");
  const topK = byId("top-k");
  const classifyButton = byId("classify");
  const clearButton = byId("clear");
  const statusLine = byId("status");
  const results = byId("results");
  let selection = [];
  let objectUrls = [];
  let runs = 0;

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const megabytes = (bytes) => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1) + " MB";
  const sizeText = (bytes) => (bytes >= 1e5 ? megabytes(bytes) : Math.max(1, Math.round(bytes / 1e3)) + " kB");
  const utf8Length = (text) => new TextEncoder().encode(text).length;
  const formBytes = (files) =>
    files.reduce((sum, file) => sum + file.size + PART_OVERHEAD_BYTES + utf8Length(file.name), FORM_OVERHEAD_BYTES);
  const plural = (count, word) => count + " " + word + (count === 1 ? "" : "s");

  /** Consecutive groups within the limits: a file alone goes as a raw body, several as one multipart batch. */
  const plan = (files) => {
    const tooLarge = [];
    const groups = [];
    let group = [];
    for (const file of files) {
      if (file.size > limits.maxBytes) {
        tooLarge.push(file);
        continue;
      }
      const candidate = group.concat([file]);
      if (group.length > 0 && (candidate.length > limits.maxImages || formBytes(candidate) > limits.maxBytes)) {
        groups.push(group);
        group = [file];
      } else {
        group = candidate;
      }
    }
    if (group.length > 0) groups.push(group);
    return { tooLarge, groups };
  };

  const tooLargeError = (file) => ({
    code: "PAYLOAD_TOO_LARGE",
    message:
      "Not sent: " + megabytes(file.size) + " is over the " + megabytes(limits.maxBytes) +
      " one request to this function URL can carry (Lambda's 6 MB payload limit, with the image base64-encoded). " +
      "Make the image smaller (for example, save it as a JPEG of at most 2000 pixels a side) " +
      "or let the function read it from S3 (npm run batch -- --by-reference).",
  });

  const card = (file) => {
    const article = element("article", "card");
    article.setAttribute("aria-label", file.name || "pasted image");
    const url = URL.createObjectURL(file);
    objectUrls.push(url);
    const preview = element("img", "preview");
    preview.alt = "Preview of " + (file.name || "the pasted image");
    preview.addEventListener("error", () => preview.replaceWith(element("div", "no-preview", "No preview")));
    preview.src = url;
    const heading = element("h3", "name", file.name || "pasted image");
    const meta = element("p", "meta", sizeText(file.size) + (file.type ? ", " + file.type : ""));
    const outcome = element("div", "outcome");
    outcome.append(element("p", "pending", "Waiting…"));
    article.append(preview, heading, meta, outcome);
    return { article, outcome };
  };

  const showPredictions = (outcome, predictions) => {
    const list = element("ol", "predictions");
    list.setAttribute("aria-label", "Labels and scores");
    for (const prediction of predictions) {
      const item = element("li", "prediction");
      const bar = element("span", "bar");
      bar.setAttribute("aria-hidden", "true");
      const fill = element("span", "fill");
      // A CSSOM property, not a style attribute: the CSP allows it.
      fill.style.width = Math.max(0, Math.min(100, prediction.score * 100)).toFixed(1) + "%";
      bar.append(fill);
      const score = element("span", "score", prediction.score.toFixed(4));
      score.dataset.score = String(prediction.score);
      item.append(element("span", "label", prediction.label), bar, score);
      list.append(item);
    }
    outcome.replaceChildren(list);
  };

  const showError = (outcome, error) => {
    const box = element("p", "error");
    box.setAttribute("role", "alert");
    box.append(element("code", "", error.code), element("span", "message", error.message));
    outcome.replaceChildren(box);
  };

  const timingsText = (timings, count) =>
    "decode " + timings.decodeMs + " ms · inference " + timings.inferenceMs + " ms · total " + timings.totalMs + " ms" +
    (count > 1 ? " (" + count + " images in one request)" : "");

  /** One POST to /classify; resolves to the JSON answer or to { error } for any failure, never rejects. */
  const send = async (files, k) => {
    const init = { method: "POST", credentials: "same-origin" };
    if (files.length === 1) {
      init.body = files[0];
      init.headers = { "content-type": files[0].type || "application/octet-stream" };
    } else {
      const body = new FormData();
      for (const file of files) body.append("image", file, file.name || "image");
      init.body = body;
    }
    let response;
    try {
      response = await fetch("/classify?top_k=" + k, init);
    } catch (error) {
      return { error: { code: "NETWORK_ERROR", message: "The request did not reach the function: " + error.message } };
    }
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body && body.error) return { error: body.error };
    if (response.ok && body) return body;
    const message = (body && body.Message) || text.slice(0, 300) || response.statusText;
    return { error: { code: "HTTP_" + response.status, message: message } };
  };

  const classifyGroup = async (group, k, section) => {
    const cards = group.map(card);
    const timings = element("p", "timings", "Classifying " + plural(group.length, "image") + "…");
    const grid = element("div", "cards");
    grid.append(...cards.map((item) => item.article));
    section.append(timings, grid);
    const answer = await send(group, k);
    let failed = 0;
    if (answer.error) {
      failed = group.length;
      for (const item of cards) showError(item.outcome, answer.error);
      timings.textContent = "The request failed.";
      return failed;
    }
    const items = group.length === 1 ? [{ predictions: answer.predictions }] : answer.results;
    cards.forEach((item, index) => {
      const result = items[index];
      if (result && result.predictions) showPredictions(item.outcome, result.predictions);
      else {
        failed += 1;
        showError(item.outcome, (result && result.error) || { code: "NO_RESULT", message: "The answer has no result for this image." });
      }
    });
    timings.textContent = timingsText(answer.timings, group.length);
    return failed;
  };

  const classify = async (files) => {
    if (files.length === 0) return;
    if (!topK.checkValidity()) {
      topK.reportValidity();
      statusLine.textContent = "Labels per image must be a whole number from 1 to " + limits.labelCount + ".";
      return;
    }
    const k = Number(topK.value);
    const { tooLarge, groups } = plan(files);
    runs += 1;
    const section = element("section", "run");
    section.setAttribute("aria-label", "Run " + runs);
    const heading = element("h2", "", "Run " + runs + ": " + plural(files.length, "image") +
      (groups.length > 1 ? " in " + groups.length + " requests" : ""));
    section.append(heading);
    results.prepend(section);
    statusLine.textContent = "Classifying " + plural(files.length, "image") + "…";
    classifyButton.disabled = true;
    let failed = 0;
    if (tooLarge.length > 0) {
      const grid = element("div", "cards");
      for (const file of tooLarge) {
        const item = card(file);
        showError(item.outcome, tooLargeError(file));
        grid.append(item.article);
      }
      section.append(element("p", "timings", plural(tooLarge.length, "image") + " not sent: over the size limit"), grid);
      failed += tooLarge.length;
    }
    for (const group of groups) failed += await classifyGroup(group, k, section);
    classifyButton.disabled = selection.length === 0;
    const done = files.length - failed;
    statusLine.textContent = plural(done, "image") + " classified" + (failed ? ", " + plural(failed, "error") : "") + ".";
  };

  const take = (fileList) => {
    const files = Array.from(fileList || []);
    if (files.length === 0) return;
    selection = files;
    classifyButton.disabled = false;
    classify(files);
  };

  fileInput.addEventListener("change", () => {
    take(fileInput.files);
    // Choosing the same file again must fire "change" again.
    fileInput.value = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    classify(selection);
  });
  clearButton.addEventListener("click", () => {
    for (const url of objectUrls) URL.revokeObjectURL(url);
    objectUrls = [];
    results.replaceChildren();
    statusLine.textContent = "Results cleared.";
  });
  const hasFiles = (event) => Boolean(event.dataTransfer) && Array.from(event.dataTransfer.types).includes("Files");
  document.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dropZone.classList.add("over");
  });
  document.addEventListener("dragleave", (event) => {
    if (event.relatedTarget === null) dropZone.classList.remove("over");
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dropZone.classList.remove("over");
    take(event.dataTransfer.files);
  });
  document.addEventListener("paste", (event) => {
    const files = event.clipboardData ? Array.from(event.clipboardData.files) : [];
    if (files.length === 0) return;
    event.preventDefault();
    take(files);
  });
})();
`;
