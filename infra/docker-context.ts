import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Ignore } from "@balena/dockerignore";

// CommonJS (`module.exports = factory`) while its typings declare a default export: load it as Node does.
const dockerignore = createRequire(import.meta.url)("@balena/dockerignore") as (options?: { ignorecase?: boolean }) => Ignore;

/** Folders never walked: they are large, generated, and never part of the image's context. */
const NEVER_IN_CONTEXT = new Set([".git", "node_modules"]);

/**
 * The files Docker sends as the build context of `root`, by the rules of its `.dockerignore` (Docker's own
 * matching, from @balena/dockerignore), relative to `root`, sorted. The image's Dockerfile copies from this set only.
 */
export function dockerContextFiles(root: string): string[] {
  const ignoreFile = join(root, ".dockerignore");
  const rules = existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8") : "";
  const matcher = dockerignore({ ignorecase: false }).add(rules.split(/\r?\n/));
  const reincluded = rules
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).replace(/^\/+|\/+$/g, ""));
  // An ignored folder is still walked when a `!` rule may re-include something inside it.
  const mayHoldIncluded = (dir: string) => reincluded.some((rule) => rule.startsWith(`${dir}/`) || /[*?[]/.test(rule));

  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (NEVER_IN_CONTEXT.has(entry.name)) continue;
        if (!matcher.ignores(path) || mayHoldIncluded(path)) walk(path);
      } else if (entry.isFile() && !matcher.ignores(path)) {
        files.push(path);
      }
    }
  };
  walk("");
  return files.sort();
}

/**
 * sha256 over each context file's path and bytes: the image tag. Equal contexts give equal tags, so an unchanged
 * image is not rebuilt, and only a change to what the image is built from publishes a new function version.
 */
export function dockerContextHash(root: string): string {
  const hash = createHash("sha256");
  for (const file of dockerContextFiles(root)) {
    const bytes = readFileSync(join(root, file));
    hash.update(`${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}
