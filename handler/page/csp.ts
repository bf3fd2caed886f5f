import { createHash } from "node:crypto";

/** A CSP hash source for an inline element's exact text. */
export function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * The page's Content-Security-Policy: nothing is allowed unless named. Its one inline script and one inline style
 * run by hash; images only from the blob: URLs of the user's own files (previews); requests only to this origin;
 * no base URL, no form submission, no framing, and no string-to-DOM sinks (Trusted Types, with no policy allowed).
 */
export function contentSecurityPolicy(inline: { script: string; style: string }): string {
  return [
    "default-src 'none'",
    `script-src ${sha256Source(inline.script)}`,
    `style-src ${sha256Source(inline.style)}`,
    "img-src blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}
