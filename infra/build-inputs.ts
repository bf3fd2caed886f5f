import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * What the Dockerfile copies into the build. model/*.onnx is excluded by .dockerignore (the build stage converts the
 * default model itself) and its sha256 is in model/model.json anyway.
 */
export const BUILD_INPUTS = [
  "Dockerfile",
  ".dockerignore",
  ".npmrc",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "handler",
  "scripts",
  "model",
] as const;
const SKIPPED = [/\.onnx$/, /(^|\/)\.cache(\/|$)/, /(^|\/)node_modules(\/|$)/, /\.DS_Store$/];

function listFiles(root: string, entry: string): string[] {
  const path = join(root, entry);
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [entry];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((dirent) => dirent.isFile())
    .map((dirent) => relative(root, join(dirent.parentPath, dirent.name)).split(sep).join("/"));
}

/** Files hashed for the image tag, relative to `root`, sorted. */
export function buildInputFiles(root: string, inputs: readonly string[] = BUILD_INPUTS): string[] {
  return inputs
    .flatMap((entry) => listFiles(root, entry))
    .filter((file) => !SKIPPED.some((pattern) => pattern.test(file)))
    .sort();
}

/** sha256 over each input file's path and bytes: equal trees give equal hashes, so an unchanged tree is not rebuilt. */
export function buildInputsHash(root: string, inputs: readonly string[] = BUILD_INPUTS): string {
  const hash = createHash("sha256");
  for (const file of buildInputFiles(root, inputs)) {
    const bytes = readFileSync(join(root, file));
    hash.update(`${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}
