import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page, type Request } from "playwright-core";

/** Debian's Chromium (apt install chromium); playwright-core drives it and never downloads a browser. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

/** A page whose console errors, uncaught errors, CSP violations, failed and foreign requests are all recorded. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Everything that went wrong; a clean run leaves it empty. */
  problems: string[];
  /** Every request the page made, in order. */
  requests: Request[];
  close(): Promise<void>;
}

export async function openWatchedPage(
  browser: Browser,
  origin: string,
  viewport: { width: number; height: number },
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: Request[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("request", (request) => {
    requests.push(request);
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith("blob:")) problems.push(`request outside the origin: ${url}`);
  });
  await page.exposeBinding("reportCspViolation", (_, text: string) => problems.push(`CSP violation: ${text}`));
  // Runs in the page before its own script (injected by the browser, so the page's CSP does not apply to it).
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (event) => window.reportCspViolation(
      event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " (" + event.sourceFile + ":" + event.lineNumber + ")"));`,
  });
  return { page, context, problems, requests, close: () => context.close() };
}
