import { mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_URL_BODY_LIMIT_BYTES } from "../../handler/page/request-limits.js";
import { launchChromium, openWatchedPage, type WatchedPage } from "../support/browser.js";
import { type ServeChild, startServeChild } from "../support/processes.js";
import { multipartBody } from "../support/test-images.js";

/** A real photograph (1169×584 JPEG) that ships inside a pinned npm package, so CI has it after `npm ci`. */
const photoPath = fileURLToPath(new URL("../../node_modules/autocannon/test/j5.jpeg", import.meta.url));
const outputDir = fileURLToPath(new URL("./output/", import.meta.url));
const desktop = { width: 1280, height: 900 };
const narrow = { width: 360, height: 780 };

interface ShownCard {
  name: string;
  predictions: Array<{ label: string; score: number; text: string }>;
  error?: { code: string; message: string };
}
interface Prediction {
  label: string;
  score: number;
}

/** What the page shows, read from the DOM (a string, so no test-side transform reaches the browser). */
const readCards = (page: Page) =>
  page.evaluate(`Array.from(document.querySelectorAll(".card")).map((card) => ({
    name: card.querySelector("h3").textContent,
    predictions: Array.from(card.querySelectorAll(".prediction")).map((item) => ({
      label: item.querySelector(".label").textContent,
      score: Number(item.querySelector(".score").dataset.score),
      text: item.querySelector(".score").textContent,
    })),
    ...(card.querySelector(".error") ? { error: {
      code: card.querySelector(".error code").textContent, message: card.querySelector(".error .message").textContent } } : {}),
  }))`) as Promise<ShownCard[]>;

/** Waits until the page says how the latest run went. */
const waitForRun = (page: Page) => page.locator("#status", { hasText: /classified/ }).waitFor();

/**
 * Chromium logs every 4xx answer as "Failed to load resource" on the console. A test that expects error answers
 * takes exactly those lines out of the page's problems (and fails if they are not there).
 */
function expectErrorAnswersLogged(page: WatchedPage, statuses: number[]): void {
  for (const status of statuses) {
    const index = page.problems.findIndex((problem) =>
      problem.startsWith(`console error: Failed to load resource: the server responded with a status of ${status} `),
    );
    expect(index, `a console line for the ${status} answer in ${JSON.stringify(page.problems)}`).toBeGreaterThanOrEqual(0);
    page.problems.splice(index, 1);
  }
}

const classifyRequests = (watched: WatchedPage) => watched.requests.filter((request) => new URL(request.url()).pathname === "/classify");

/** A small drawing (sky, sun, hills) rasterised by sharp: a license-free picture for screenshots and batches. */
const drawing = (seed: number, format: "png" | "webp") =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="320"><rect width="480" height="320" fill="#${seed % 2 ? "9bd1f5" : "f7c59f"}"/>` +
        `<circle cx="${120 + seed * 40}" cy="90" r="45" fill="#ffd23f"/><path d="M0 250 Q120 ${150 + seed * 10} 240 240 T480 230 V320 H0Z" fill="#3b8b3b"/></svg>`,
    ),
  )
    .toFormat(format)
    .toBuffer();

const corruptJpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(2_000, 0x5a)]);
const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="teal"/></svg>');

let server: ServeChild;
let browser: Browser;
let watched: WatchedPage | undefined;

async function open(viewport = desktop): Promise<WatchedPage> {
  watched = await openWatchedPage(browser, server.url, viewport);
  const response = await watched.page.goto(`${server.url}/`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
  return watched;
}

async function api(path: string, body: Uint8Array, contentType: string): Promise<any> {
  const response = await fetch(`${server.url}${path}`, { method: "POST", body, headers: { "content-type": contentType } });
  return response.json();
}

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startServeChild({ POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true", ORT_INTRA_OP_THREADS: "1" }),
    launchChromium(),
  ]);
  await mkdir(outputDir, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(async () => {
  // Every test: no console error or warning, no uncaught error, no CSP violation, no failed or foreign request.
  const problems = watched?.problems ?? [];
  await watched?.close();
  watched = undefined;
  expect(problems).toEqual([]);
});

describe("the page in Chromium, served by npm start's local function URL", () => {
  it("shows a real photo's labels and scores exactly as the JSON API gives them, with the timings", async () => {
    const { page } = await open();
    await page.getByLabel("Labels per image").fill("3");
    await page.locator("#files").setInputFiles(photoPath);
    await waitForRun(page);

    const expected = (await api("/classify?top_k=3", await readFile(photoPath), "image/jpeg")).predictions as Prediction[];
    const [card, ...others] = await readCards(page);
    expect(others).toEqual([]);
    expect(card!.name).toBe("j5.jpeg");
    expect(card!.predictions.map(({ label, score }) => ({ label, score }))).toEqual(expected);
    expect(card!.predictions.map((shown) => shown.text)).toEqual(expected.map((prediction) => prediction.score.toFixed(4)));
    expect(await page.locator(".run .timings").textContent()).toMatch(/^decode [\d.]+ ms · inference [\d.]+ ms · total [\d.]+ ms$/);
    expect(await page.locator(".preview").getAttribute("src")).toMatch(/^blob:/);
    expect(await page.locator("#status").textContent()).toBe("1 image classified.");
  });

  it("sends three images as one multipart batch request and shows each one's result, equal to the API's batch answer", async () => {
    const { page } = await open();
    const files = [
      { name: "j5.jpeg", mimeType: "image/jpeg", buffer: await readFile(photoPath) },
      { name: "sunny.png", mimeType: "image/png", buffer: await drawing(1, "png") },
      { name: "dusk.webp", mimeType: "image/webp", buffer: await drawing(2, "webp") },
    ];
    await page.locator("#files").setInputFiles(files);
    await waitForRun(page);

    const requests = classifyRequests(watched!);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.method()).toBe("POST");
    expect(requests[0]!.headers()["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const form = await multipartBody(files.map((file) => ({ filename: file.name, type: file.mimeType, bytes: file.buffer })));
    const expected = (await api("/classify?top_k=5", form.body, form.contentType)).results as Array<{ predictions: Prediction[] }>;
    const cards = await readCards(page);
    expect(cards.map((card) => card.name)).toEqual(files.map((file) => file.name));
    expect(cards.map((card) => card.predictions.map(({ label, score }) => ({ label, score })))).toEqual(
      expected.map((result) => result.predictions),
    );
    expect(await page.locator(".run .timings").textContent()).toMatch(/ms \(3 images in one request\)$/);
  });

  it("a corrupt file shows INVALID_IMAGE and an SVG UNSUPPORTED_MEDIA_TYPE, with their messages", async () => {
    const { page } = await open();
    await page.locator("#files").setInputFiles({ name: "broken.jpg", mimeType: "image/jpeg", buffer: corruptJpeg() });
    await waitForRun(page);
    await page.locator("#files").setInputFiles({ name: "drawing.svg", mimeType: "image/svg+xml", buffer: svg });
    await page.locator("#status", { hasText: "0 images classified, 1 error." }).waitFor();
    await page.locator(".run", { hasText: "drawing.svg" }).locator(".error").waitFor();

    const cards = await readCards(page);
    const byName = Object.fromEntries(cards.map((card) => [card.name, card]));
    expect(byName["broken.jpg"]!.error!.code).toBe("INVALID_IMAGE");
    expect(byName["drawing.svg"]!.error!.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(byName["drawing.svg"]!.error!.message).toMatch(/SVG/);
    expect(await page.getByRole("alert").count()).toBe(2);
    expectErrorAnswersLogged(watched!, [400, 415]);
  });

  it("catches an image over the function URL's limit before sending it, and says what to do; one at the limit is sent", async () => {
    const { page } = await open();
    const limit = Number(await page.locator("#app").getAttribute("data-max-bytes"));
    expect(limit).toBe(FUNCTION_URL_BODY_LIMIT_BYTES);
    const jpegLike = (size: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(size - 4, 0x5a)]);

    await page.locator("#files").setInputFiles({ name: "huge.jpg", mimeType: "image/jpeg", buffer: jpegLike(limit + 1) });
    await waitForRun(page);
    expect(classifyRequests(watched!)).toEqual([]);
    const [tooLarge] = await readCards(page);
    expect(tooLarge!.error!.code).toBe("PAYLOAD_TOO_LARGE");
    expect(tooLarge!.error!.message).toMatch(/^Not sent: .* over the 4\.71 MB .*function URL.*smaller.*by-reference/);

    // At exactly the limit the function URL passes it on and the function itself answers (not the URL's 413).
    await page.locator("#files").setInputFiles({ name: "limit.jpg", mimeType: "image/jpeg", buffer: jpegLike(limit) });
    await page.locator(".run", { hasText: "limit.jpg" }).locator(".error").waitFor();
    expect(classifyRequests(watched!)).toHaveLength(1);
    const atLimit = (await readCards(page)).find((card) => card.name === "limit.jpg");
    expect(atLimit!.error!.code).toBe("INVALID_IMAGE");
    expectErrorAnswersLogged(watched!, [400]);
  });

  it("takes images dropped on the drop zone and pasted into the page", async () => {
    const { page } = await open();
    const png = (await drawing(3, "png")).toString("base64");
    const dataTransfer = `(() => { const bytes = Uint8Array.from(atob("${png}"), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer(); transfer.items.add(new File([bytes], NAME, { type: "image/png" })); return transfer; })()`;
    await page.evaluate(`document.getElementById("drop").dispatchEvent(new DragEvent("drop",
      { bubbles: true, cancelable: true, dataTransfer: ${dataTransfer.replace("NAME", '"dropped.png"')} }))`);
    await page.locator(".card", { hasText: "dropped.png" }).locator(".prediction").first().waitFor();
    await page.evaluate(`document.dispatchEvent(new ClipboardEvent("paste",
      { bubbles: true, cancelable: true, clipboardData: ${dataTransfer.replace("NAME", '"pasted.png"')} }))`);
    await page.locator(".card", { hasText: "pasted.png" }).locator(".prediction").first().waitFor();
    const cards = await readCards(page);
    expect(cards.map((card) => card.name).sort()).toEqual(["dropped.png", "pasted.png"]);
    expect(cards[0]!.predictions).toEqual(cards[1]!.predictions);
  });

  it("works by keyboard alone: labelled controls, visible focus, the file chooser opens from the keyboard", async () => {
    const { page } = await open();
    // Listening before any key is pressed: Playwright turns on file-chooser interception when the first listener is
    // added, asynchronously; a Space pressed before that opens the native dialog and no event ever comes.
    const chooser = page.waitForEvent("filechooser");
    const outline = (id: string) => page.evaluate(`(() => { const style = getComputedStyle(document.getElementById("${id}"));
      return style.outlineStyle + " " + style.outlineWidth; })()`);
    const focusedId = () => page.evaluate("document.activeElement && document.activeElement.id");
    expect(await page.getByLabel(/Choose images/).getAttribute("id")).toBe("files");
    expect(await page.getByLabel("Labels per image").getAttribute("id")).toBe("top-k");
    expect(await page.getByRole("button", { name: "Clear results" }).count()).toBe(1);

    expect(await outline("drop")).toMatch(/^none /);
    await page.keyboard.press("Tab");
    expect(await focusedId()).toBe("files");
    expect(await outline("drop")).toBe("solid 3px");

    await page.keyboard.press("Space");
    await (await chooser).setFiles(photoPath);
    await waitForRun(page);
    expect((await readCards(page))[0]!.predictions).toHaveLength(5);

    await page.keyboard.press("Tab");
    expect(await focusedId()).toBe("top-k");
    expect(await outline("top-k")).toBe("solid 3px");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("2");
    await page.keyboard.press("Tab");
    expect(await focusedId()).toBe("classify");
    expect(await outline("classify")).toBe("solid 3px");
    await page.keyboard.press("Enter");
    await page.locator(".run", { hasText: "Run 2" }).locator(".prediction").first().waitFor();
    expect((await readCards(page))[0]!.predictions).toHaveLength(2);
    expect(await page.locator("#results").getAttribute("aria-live")).toBe("polite");
  });

  it.each([
    ["desktop", desktop],
    ["narrow", narrow],
  ] as const)("fits a %s screen; the screenshot goes to test/browser/output/", async (name, viewport) => {
    const { page } = await open(viewport);
    await page.locator("#files").setInputFiles([
      { name: "sunny.png", mimeType: "image/png", buffer: await drawing(1, "png") },
      { name: "dusk.webp", mimeType: "image/webp", buffer: await drawing(2, "webp") },
      { name: "broken.jpg", mimeType: "image/jpeg", buffer: corruptJpeg() },
    ]);
    await waitForRun(page);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(viewport.width);
    await page.screenshot({ path: `${outputDir}${name}.png`, fullPage: true });
  });
});
