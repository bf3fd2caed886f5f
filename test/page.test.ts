import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier } from "../handler/classifier.js";
import { type Config, loadConfig } from "../handler/config.js";
import { prefersHtml } from "../handler/page/negotiation.js";
import { browserRequestLimitBytes, EVENT_ENVELOPE_BYTES, FUNCTION_URL_BODY_LIMIT_BYTES } from "../handler/page/request-limits.js";
import { LAMBDA_PAYLOAD_LIMIT_BYTES } from "../handler/settings.js";
import { Telemetry } from "../handler/telemetry.js";
import { functionUrlEvent, lambdaContext } from "./support/function-url-event.js";

/** What Chromium sends when the user opens the URL. */
const BROWSER_ACCEPT =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";

const config = loadConfig({ ...process.env, MODEL_DIR: undefined });
let classifier: Classifier;
let handler: FunctionUrlHandler;

const handlerWith = (overrides: Partial<Config>) =>
  createHandler({ config: { ...config, ...overrides }, classifier, telemetry: new Telemetry(config), initializationType: "on-demand" });

const get = (target: FunctionUrlHandler, path: string, headers: Record<string, string> = {}, method = "GET") =>
  target(functionUrlEvent({ method, path, headers }), lambdaContext());

const inlineTexts = (html: string, tag: "script" | "style") =>
  [...html.matchAll(new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}>`, "g"))].map((match) => match[1]!);

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

const directives = (csp: string) =>
  new Map(csp.split(";").map((part) => {
    const [name = "", ...values] = part.trim().split(/\s+/);
    return [name, values.join(" ")] as const;
  }));

beforeAll(async () => {
  classifier = await Classifier.load(config.modelDir, { threads: 1, maxPixels: config.maxImagePixels, warmup: false });
  handler = handlerWith({});
});

afterAll(async () => {
  await classifier?.dispose();
});

describe("GET / for a browser", () => {
  it("is the page, HTML with a strict CSP and the security headers", async () => {
    const response = await get(handler, "/", { accept: BROWSER_ACCEPT });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body.startsWith("<!doctype html>")).toBe(true);
    expect(response.headers).toMatchObject({
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
      vary: "accept",
    });
    const csp = directives(response.headers["content-security-policy"]!);
    expect(csp.get("default-src")).toBe("'none'");
    expect(csp.get("img-src")).toBe("blob:");
    expect(csp.get("connect-src")).toBe("'self'");
    expect(csp.get("base-uri")).toBe("'none'");
    expect(csp.get("form-action")).toBe("'none'");
    expect(csp.get("frame-ancestors")).toBe("'none'");
    expect(csp.get("require-trusted-types-for")).toBe("'script'");
    expect(csp.get("script-src")).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/);
    expect(csp.get("style-src")).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/);
  });

  it("the CSP's hashes are those of the one inline script and the one inline style served", async () => {
    const response = await get(handler, "/", { accept: "text/html" });
    const scripts = inlineTexts(response.body, "script");
    const styles = inlineTexts(response.body, "style");
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    const csp = directives(response.headers["content-security-policy"]!);
    expect(csp.get("script-src")).toBe(sha256(scripts[0]!));
    expect(csp.get("style-src")).toBe(sha256(styles[0]!));
  });

  it("has nothing the CSP would block or that leaves the origin: no style attributes, inline handlers, or URLs", async () => {
    const { body } = await get(handler, "/", { accept: "text/html" });
    const markup = body.replace(/<script>[\s\S]*?<\/script>/, "").replace(/<style>[\s\S]*?<\/style>/, "");
    expect(markup).not.toMatch(/\sstyle=/i);
    expect(markup).not.toMatch(/\son[a-z]+=/i);
    expect(markup).not.toMatch(/\s(src|href|action)=/i);
    expect(body).not.toMatch(/https?:\/\//);
    expect(inlineTexts(body, "script")[0]).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });

  it("shows the limits from the handler's settings, not numbers of its own", async () => {
    const page = (await get(handlerWith({ maxBatchImages: 3, maxBodyBytes: 12_345, topKDefault: 2 }), "/", { accept: "text/html" })).body;
    expect(page).toContain('data-max-images="3"');
    expect(page).toContain('data-max-bytes="12345"');
    expect(page).toContain(`data-label-count="${classifier.manifest.labels.length}"`);
    expect(page).toMatch(/id="top-k"[^>]* max="5"[^>]* value="2"/);
    const defaults = (await get(handler, "/", { accept: "text/html" })).body;
    expect(defaults).toContain(`data-max-images="${config.maxBatchImages}"`);
    expect(defaults).toContain(`data-max-bytes="${FUNCTION_URL_BODY_LIMIT_BYTES}"`);
    expect(defaults).toContain(`${classifier.manifest.name} ${classifier.manifest.version}`);
  });

  it("is the same document on every request (built once)", async () => {
    const first = await get(handler, "/", { accept: "text/html" });
    const second = await get(handler, "/", { accept: "text/html" });
    expect(second.body).toBe(first.body);
    expect(second.headers).toEqual(first.headers);
    second.headers["x-test"] = "changed";
    expect((await get(handler, "/", { accept: "text/html" })).headers["x-test"]).toBeUndefined();
  });
});

describe("an API client's requests are unchanged", () => {
  const notAllowed = (response: Awaited<ReturnType<FunctionUrlHandler>>) => {
    expect(response.statusCode).toBe(405);
    expect(response.headers).toMatchObject({ "content-type": "application/json", allow: "POST", "cache-control": "no-store" });
    expect(response.headers["content-security-policy"]).toBeUndefined();
    expect(JSON.parse(response.body).error.code).toBe("METHOD_NOT_ALLOWED");
  };

  it.each([
    ["no Accept", {}],
    ["Accept: */* (curl, fetch)", { accept: "*/*" }],
    ["Accept: application/json", { accept: "application/json" }],
    ["JSON and HTML at the same q", { accept: "application/json, text/html" }],
    ["JSON preferred", { accept: "text/html;q=0.5, application/json" }],
    ["HTML refused", { accept: "text/html;q=0, */*" }],
  ])("GET / with %s: 405 METHOD_NOT_ALLOWED, Allow: POST", async (_, headers) => {
    notAllowed(await get(handler, "/", headers));
  });

  it("other methods at / and other paths ignore Accept: text/html", async () => {
    notAllowed(await get(handler, "/", { accept: "text/html" }, "DELETE"));
    const health = await get(handler, "/health", { accept: BROWSER_ACCEPT });
    expect(health.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(health.body).status).toBe("ok");
    expect((await get(handler, "/page", { accept: "text/html" })).statusCode).toBe(404);
  });
});

describe("prefersHtml", () => {
  it.each([
    [BROWSER_ACCEPT, true],
    ["text/html", true],
    ["TEXT/HTML; charset=utf-8", true],
    ["application/json;q=0.9, text/html", true],
    ["text/html;q=0.9, application/*;q=0.5", true],
    [undefined, false],
    ["", false],
    ["*/*", false],
    ["text/*", false],
    ["application/json", false],
    ["application/*, text/html", false],
    ["text/html;q=0.5, */*", false],
    ["text/html;q=x", false],
    ["text/html;q=0", false],
  ])("%j → %s", (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});

describe("the page's request limit", () => {
  it("is the largest body whose base64 event, with the envelope allowed for headers, fits Lambda's 6 MB payload", () => {
    const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;
    expect(base64Length(FUNCTION_URL_BODY_LIMIT_BYTES) + EVENT_ENVELOPE_BYTES).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT_BYTES);
    expect(base64Length(FUNCTION_URL_BODY_LIMIT_BYTES + 3) + EVENT_ENVELOPE_BYTES).toBeGreaterThan(LAMBDA_PAYLOAD_LIMIT_BYTES);
    expect(browserRequestLimitBytes(6_291_456)).toBe(FUNCTION_URL_BODY_LIMIT_BYTES);
    expect(browserRequestLimitBytes(1_000)).toBe(1_000);
  });
});
