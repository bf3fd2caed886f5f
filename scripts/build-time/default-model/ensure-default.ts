import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { MANIFEST_FILE } from "../../../handler/manifest.js";
import { DEFAULT_MODEL_FILE, DEFAULT_MODEL_NAME } from "./default-manifest.js";
import { sha256File } from "../files/hash-file.js";

export type EnsureOutcome =
  | { action: "built"; reason: string; sha256: string; ms: number }
  | { action: "up-to-date"; sha256: string }
  | { action: "left-alone"; reason: string };

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    },
  );
}

async function readManifest(path: string): Promise<{ name?: unknown; sha256?: unknown } | undefined> {
  if (!(await exists(path))) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8")) as { name?: unknown; sha256?: unknown };
  } catch {
    return { name: undefined };
  }
}

/**
 * Builds the default model when `model.onnx` is missing, or when model.json is the default model's manifest and
 * the file's sha256 differs from it. Never touches a folder whose manifest describes another model.
 */
export async function ensureDefaultModel(modelDir: string): Promise<EnsureOutcome> {
  const modelPath = join(modelDir, DEFAULT_MODEL_FILE);
  const manifest = await readManifest(join(modelDir, MANIFEST_FILE));
  if (manifest !== undefined && manifest.name !== DEFAULT_MODEL_NAME) {
    return { action: "left-alone", reason: `${MANIFEST_FILE} describes ${JSON.stringify(manifest.name)}, not the default model` };
  }
  let reason: string;
  if (!(await exists(modelPath))) {
    reason = `${DEFAULT_MODEL_FILE} is missing`;
  } else if (manifest === undefined) {
    return { action: "left-alone", reason: `${DEFAULT_MODEL_FILE} exists without ${MANIFEST_FILE}; not overwriting it` };
  } else {
    const sha256 = await sha256File(modelPath);
    if (sha256 === manifest.sha256) return { action: "up-to-date", sha256 };
    reason = `${DEFAULT_MODEL_FILE} sha256 ${sha256} does not match ${MANIFEST_FILE}`;
  }
  // Loaded only when needed: the converter pulls in nsfwjs's 3.5 MB weight bundle.
  const { buildDefaultModel } = await import("./build-default.js");
  const built = await buildDefaultModel(modelDir);
  return { action: "built", reason, sha256: built.sha256, ms: built.ms };
}

