import type { Config } from "../config.js";
import type { Manifest } from "../manifest.js";
import { type HttpResponse, PRIVATE_ANSWER_HEADERS } from "../response.js";
import { contentSecurityPolicy } from "./csp.js";
import { pageDocument } from "./document.js";
import { browserRequestLimitBytes } from "./request-limits.js";
import { PAGE_SCRIPT } from "./script.js";
import { PAGE_STYLE } from "./style.js";

/**
 * GET / for a browser: the upload page, built once (document, CSP hashes, headers) when the handler is created;
 * each request only copies the headers.
 */
export function createPageRoute(
  manifest: Pick<Manifest, "name" | "version" | "labels">,
  config: Pick<Config, "topKDefault" | "maxBatchImages" | "maxBodyBytes">,
): () => HttpResponse {
  const labelCount = manifest.labels.length;
  const inline = { style: PAGE_STYLE, script: PAGE_SCRIPT };
  const body = pageDocument(
    {
      modelName: manifest.name,
      modelVersion: manifest.version,
      labelCount,
      defaultTopK: Math.min(config.topKDefault, labelCount),
      maxBatchImages: config.maxBatchImages,
      maxRequestBytes: browserRequestLimitBytes(config.maxBodyBytes),
    },
    inline,
  );
  const headers = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": contentSecurityPolicy(inline),
    ...PRIVATE_ANSWER_HEADERS,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    // GET / answers JSON or HTML by Accept.
    vary: "accept",
  } as const;
  return () => ({ statusCode: 200, headers: { ...headers }, body });
}
