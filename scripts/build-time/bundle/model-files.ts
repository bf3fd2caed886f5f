import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { MANIFEST_FILE, parseManifestFile } from "../../../handler/manifest.js";
import { sha256File } from "../files/hash-file.js";

/**
 * Copies what the manifest names — model.json, the model file, the labels file if labels are not inline — into
 * `destinationDir`, after checking the model file against the manifest's sha256 (a stale model fails the build,
 * not the first cold start).
 */
export async function copyModelFiles(modelDir: string, destinationDir: string): Promise<string[]> {
  const manifest = parseManifestFile(JSON.parse(await readFile(join(modelDir, MANIFEST_FILE), "utf8")));
  const files = [MANIFEST_FILE, manifest.file, ...(typeof manifest.labels === "string" ? [manifest.labels] : [])];

  const actual = await sha256File(join(modelDir, manifest.file)).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${join(modelDir, manifest.file)}: ${error.code ?? error.message} (run npm run model:ensure)`);
  });
  if (actual !== manifest.sha256) {
    throw new Error(`${manifest.file}: sha256 ${actual} does not match ${MANIFEST_FILE} (${manifest.sha256})`);
  }

  await mkdir(destinationDir, { recursive: true });
  for (const file of files) await copyFile(join(modelDir, file), join(destinationDir, file));
  return files;
}
