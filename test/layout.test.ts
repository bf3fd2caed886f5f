import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { dockerContextFiles } from "../infra/docker-context.js";

const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), "../..");

function sourceFiles(folder: string): string[] {
  return readdirSync(join(PROJECT_ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(ts|mts|mjs|js)$/.test(file))
    .map((file) => `${folder}/${file.replaceAll("\\", "/")}`);
}

/** The module specifiers of `file` (static and dynamic imports, re-exports), as TypeScript's pre-processor reads them. */
function moduleSpecifiers(file: string): string[] {
  const text = readFileSync(join(PROJECT_ROOT, file), "utf8");
  return ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
}

/** The repository path a relative specifier of `file` points at (`./x.js` → the folder's x.js), or undefined for a package. */
function target(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  return relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(file), specifier)).replaceAll("\\", "/");
}

const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);

/** "file → target" for every relative import of a file under `folder` that points outside all of `allowed`. */
function importsOutside(folder: string, allowed: readonly string[]): string[] {
  const files = sourceFiles(folder);
  expect(files.length, `source files under ${folder}`).toBeGreaterThan(5);
  return files.flatMap((file) =>
    moduleSpecifiers(file)
      .map((specifier) => target(file, specifier))
      .filter((path): path is string => path !== undefined && !allowed.some((allowedFolder) => inside(path, allowedFolder)))
      .map((path) => `${file} → ${path}`),
  );
}

describe("layout: the arrows between folders", () => {
  it("reads import specifiers the way the rules below rely on (static, dynamic, re-export, type-only)", () => {
    const text = 'import a from "./a.js";\nimport type { B } from "../b.js";\nexport * from "./c.js";\nconst d = await import("./d.js");\nimport "e";';
    expect(ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName)).toEqual(["./a.js", "../b.js", "./c.js", "./d.js", "e"]);
    expect(target("scripts/build-time/bundle/main.ts", "../../../handler/index.js")).toBe("handler/index.js");
    expect(target("scripts/build-time/bundle/main.ts", "sharp")).toBeUndefined();
  });

  it("scripts/build-time/ imports only itself, handler/ and npm packages (the Docker build stage has nothing else)", () => {
    const outside = importsOutside("scripts/build-time", ["scripts/build-time", "handler"]);
    expect(outside).toEqual([]);
  });

  it("scripts/build-time/ reads files next to its modules (new URL(…, import.meta.url)) only from the Docker context", () => {
    const context = dockerContextFiles(PROJECT_ROOT);
    const missing: string[] = [];
    for (const file of sourceFiles("scripts/build-time")) {
      const text = readFileSync(join(PROJECT_ROOT, file), "utf8");
      for (const [, specifier] of text.matchAll(/new URL\(\s*"([^"]+)"\s*,\s*import\.meta\.url\s*\)/g)) {
        const path = target(file, specifier!)!.replace(/\/$/, "");
        const sent = path === "" || context.some((sentFile) => inside(sentFile, path));
        if (!sent) missing.push(`${file} → ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("handler/ imports neither scripts/ nor infra/ (nor anything outside handler/ but npm packages)", () => {
    const outside = importsOutside("handler", ["handler"]);
    expect(outside).toEqual([]);
  });
});
