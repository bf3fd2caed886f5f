import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { MANIFEST_FILE } from "../../../handler/manifest.js";
import { extractOnnxFromArchive } from "./archive.js";
import { type CatalogEntry, downloadUrl } from "./catalog.js";
import { downloadToFile } from "./download.js";
import { sha256File } from "../../build-time/files/hash-file.js";
import { readModelSignature, signatureProblems } from "./inspect-model.js";
import { type ProgressReporter, silentProgress } from "./progress.js";

export interface FetchOptions {
  /** Model folder to install into (created if missing). */
  outDir: string;
  /** Replaces the catalog's base URL (tests point it at a local server). */
  baseUrl?: string;
  /** Download again even when the folder already holds this model, intact. */
  force?: boolean;
  signal?: AbortSignal;
  idleTimeoutMs?: number;
  progress?: ProgressReporter;
}

export interface FetchResult {
  status: "installed" | "already-installed";
  outDir: string;
  url: string;
  /** sha256 and size of the installed model file. */
  sha256: string;
  size: number;
}

/** The model folder would not describe its model correctly; nothing was installed. */
export class ModelFetchError extends Error {
  override readonly name = "ModelFetchError";
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** True when outDir holds this catalog entry's manifest and a model file whose sha256 matches it. */
async function alreadyInstalled(entry: CatalogEntry, outDir: string): Promise<{ sha256: string; size: number } | undefined> {
  const manifest = await readJson(join(outDir, MANIFEST_FILE));
  const source = manifest?.source as Record<string, unknown> | undefined;
  if (!manifest || manifest.name !== entry.name || source?.commit !== entry.download.commit) return undefined;
  const modelPath = join(outDir, entry.manifest.file);
  try {
    const sha256 = await sha256File(modelPath);
    if (sha256 !== manifest.sha256) return undefined;
    if (typeof entry.manifest.labels === "string") await readFile(join(outDir, entry.manifest.labels));
    return { sha256, size: (await stat(modelPath)).size };
  } catch {
    return undefined;
  }
}

/** Staging folders are named `.fetch-<pid>-<random>` so that leftovers of a killed process can be recognised. */
const STAGING_PREFIX = ".fetch-";
const STAGING_PID = /^\.fetch-(\d+)-/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes staging folders left by fetches that were killed outright (SIGKILL, power loss); their pid is gone. */
async function removeAbandonedStaging(outDir: string): Promise<void> {
  for (const name of await readdir(outDir)) {
    const pid = Number(STAGING_PID.exec(name)?.[1]);
    if (pid && !isRunning(pid)) await rm(join(outDir, name), { recursive: true, force: true });
  }
}

/**
 * Downloads a catalog model into `outDir` as model.onnx + model.json (+ labels file).
 * Everything is prepared in a staging folder inside `outDir` and moved into place by rename only after the download's
 * sha256 and size are verified and ONNX Runtime has opened the model and confirmed the manifest's tensor names and
 * input shape, so a failure at any step leaves the previous model untouched and no partial file behind.
 */
export async function fetchModel(entry: CatalogEntry, options: FetchOptions): Promise<FetchResult> {
  const outDir = resolve(options.outDir);
  const url = downloadUrl(entry.download, options.baseUrl);
  await mkdir(outDir, { recursive: true });

  if (!options.force) {
    const installed = await alreadyInstalled(entry, outDir);
    if (installed) return { status: "already-installed", outDir, url, ...installed };
  }

  await removeAbandonedStaging(outDir);
  const staging = await mkdtemp(join(outDir, `${STAGING_PREFIX}${process.pid}-`));
  try {
    const isArchive = entry.download.format === "tar.gz";
    const downloaded = join(staging, isArchive ? "download.tar.gz" : "model.onnx");
    const progress = options.progress ?? silentProgress;
    progress.start(entry.name, entry.download.size);
    try {
      await downloadToFile(url, downloaded, {
        expectedSha256: entry.download.sha256,
        expectedSize: entry.download.size,
        signal: options.signal,
        idleTimeoutMs: options.idleTimeoutMs,
        onProgress: (received) => progress.update(received),
      });
    } finally {
      progress.stop();
    }

    let modelPath = downloaded;
    if (isArchive) {
      const extractDir = join(staging, "archive");
      await mkdir(extractDir);
      modelPath = (await extractOnnxFromArchive(downloaded, extractDir)).path;
      await rm(downloaded);
    }

    let signature;
    try {
      signature = await readModelSignature(modelPath);
    } catch (error) {
      throw new ModelFetchError(`ONNX Runtime cannot load the downloaded model: ${(error as Error).message}`);
    }
    const problems = signatureProblems(signature, entry.manifest);
    if (problems.length > 0) {
      throw new ModelFetchError(`the catalog manifest does not match the model: ${problems.join("; ")}`);
    }

    // For a plain .onnx this equals the verified download hash; for an archive it is the extracted file's own.
    const sha256 = await sha256File(modelPath);
    const { name, version, description, source, file, input, output, labels } = entry.manifest;
    const manifest = { name, version, description, source: { ...source, url }, file, sha256, input, output, labels };
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { flag: "wx" });
    if (typeof labels === "string") await copyFile(entry.labelsFile, join(staging, labels));

    // Labels first and the manifest last: a reader that sees the new manifest finds its model and labels in place.
    if (typeof labels === "string") await rename(join(staging, labels), join(outDir, labels));
    const { size } = await stat(modelPath);
    await rename(modelPath, join(outDir, file));
    await rename(join(staging, MANIFEST_FILE), join(outDir, MANIFEST_FILE));
    return { status: "installed", outDir, url, sha256, size };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
