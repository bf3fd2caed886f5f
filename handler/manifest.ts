import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { FAST_CONVENTION, resizeConventions } from "./resize/conventions.js";

export const MANIFEST_FILE = "model.json";

/** A model.json that cannot be used; the message names the offending field. */
export class ManifestError extends Error {
  override readonly name = "ManifestError";

  constructor(
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const resizeKernels = ["nearest", "linear", "cubic", "mitchell", "lanczos2", "lanczos3"] as const;

const rgbColor = z.tuple([z.int().min(0).max(255), z.int().min(0).max(255), z.int().min(0).max(255)]);
const channelTriple = z.tuple([z.number(), z.number(), z.number()]);
/** libvips' kernel; only for the "libvips" convention, where it defaults to "linear". */
const kernel = z.enum(resizeKernels).optional();
const convention = z.enum(resizeConventions).default(FAST_CONVENTION);

/** A file name inside the model folder: no directories, so a manifest cannot point outside its folder. */
const fileInModelDir = z
  .string()
  .min(1)
  .refine((name) => basename(name) === name && name !== "." && name !== "..", {
    message: "expected a file name inside the model folder (no path separators)",
  });

const resizeSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("fill"), convention, kernel }),
  z.strictObject({ mode: z.literal("cover"), convention, kernel, shorterSide: z.int().positive().max(16384).optional() }),
  z.strictObject({ mode: z.literal("contain"), convention, kernel, background: rgbColor.default([0, 0, 0]) }),
]);

const inputSchema = z
  .strictObject({
    name: z.string().min(1),
    layout: z.enum(["NCHW", "NHWC"]),
    width: z.int().positive().max(8192),
    height: z.int().positive().max(8192),
    colorOrder: z.enum(["RGB", "BGR"]).default("RGB"),
    resize: resizeSchema,
    scale: z.number().positive(),
    mean: channelTriple.default([0, 0, 0]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([1, 1, 1]),
    /** Colour that transparent pixels are composited onto before the alpha channel is dropped. */
    alphaBackground: rgbColor.default([255, 255, 255]),
  })
  .superRefine((input, ctx) => {
    if (input.resize.convention !== FAST_CONVENTION && input.resize.kernel !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["resize", "kernel"],
        message: `applies only to convention "${FAST_CONVENTION}"; "${input.resize.convention}" has its reference's own kernel`,
      });
    }
    if (input.resize.mode === "cover" && input.resize.shorterSide !== undefined) {
      const needed = Math.max(input.width, input.height);
      if (input.resize.shorterSide < needed) {
        ctx.addIssue({
          code: "custom",
          path: ["resize", "shorterSide"],
          message: `must be at least max(width, height) = ${needed} so the centre crop fits`,
        });
      }
    }
  });

const outputSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(["logits", "probabilities"]),
});

/** The manifest as written on disk: labels inline or the name of a labels file. */
export const manifestFileSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  description: z.string().optional(),
  source: z.record(z.string(), z.unknown()),
  file: fileInModelDir,
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters").toLowerCase(),
  input: inputSchema,
  output: outputSchema,
  labels: z.union([z.array(z.string().min(1)).min(1), fileInModelDir]),
});

/** A validated manifest with its labels resolved to an array: what GET /model answers. */
export const manifestSchema = manifestFileSchema.extend({ labels: z.array(z.string().min(1)).min(1) });

export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type ModelInput = ManifestFile["input"];
export type ResizeSpec = ModelInput["resize"];
export type ResizeKernel = (typeof resizeKernels)[number];

export type Manifest = z.infer<typeof manifestSchema>;

function fieldPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text ? `.${String(key)}` : String(key);
  }
  return text || "(root)";
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; message: string } {
  if (issue.code === "unrecognized_keys") {
    const field = fieldPath([...issue.path, issue.keys[0] ?? ""]);
    return { field, message: `unknown field (allowed fields are listed in the README)` };
  }
  if (issue.code === "invalid_value") {
    return { field: fieldPath(issue.path), message: `expected ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}` };
  }
  return { field: fieldPath(issue.path), message: issue.message };
}

/** The libvips convention's kernel defaults to "linear" (a manifest written before conventions means what it meant). */
function withDefaultKernel(manifest: ManifestFile): ManifestFile {
  const { resize } = manifest.input;
  if (resize.convention !== FAST_CONVENTION || resize.kernel !== undefined) return manifest;
  return { ...manifest, input: { ...manifest.input, resize: { ...resize, kernel: "linear" } } };
}

/** Validates parsed JSON; throws ManifestError naming the first bad field. Labels stay as written. */
export function parseManifestFile(json: unknown): ManifestFile {
  const result = manifestFileSchema.safeParse(json);
  if (result.success) return withDefaultKernel(result.data);
  const first = result.error.issues[0];
  if (!first) throw new ManifestError(`${MANIFEST_FILE}: invalid manifest`);
  const { field, message } = describeIssue(first);
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem(s))` : "";
  throw new ManifestError(`${MANIFEST_FILE}: ${field}: ${message}${more}`, field);
}

/** Parses a labels file: a JSON array of strings, or one label per line. */
export function parseLabels(text: string, fileName: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new ManifestError(`${MANIFEST_FILE}: labels: ${fileName} is not valid JSON: ${(error as Error).message}`, "labels", { cause: error });
    }
    const labels = z.array(z.string().min(1)).min(1).safeParse(parsed);
    if (!labels.success) {
      throw new ManifestError(`${MANIFEST_FILE}: labels: ${fileName} must be a JSON array of non-empty strings`, "labels");
    }
    return labels.data;
  }
  const lines = text.replace(/^\uFEFF/, "").replace(/(\r?\n)+$/, "").split(/\r?\n/).map((line) => line.trim());
  const empty = lines.findIndex((line) => line === "");
  if (empty !== -1) {
    // An empty line would shift every following label by one class index.
    throw new ManifestError(`${MANIFEST_FILE}: labels: ${fileName} line ${empty + 1} is empty`, "labels");
  }
  return lines;
}

/** Reads, validates and resolves `model.json` in a model folder. */
export async function loadManifest(modelDir: string): Promise<Manifest> {
  const path = join(modelDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ManifestError(`${MANIFEST_FILE}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, undefined, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${MANIFEST_FILE}: not valid JSON: ${(error as Error).message}`, undefined, { cause: error });
  }
  const file = parseManifestFile(json);
  if (Array.isArray(file.labels)) return { ...file, labels: file.labels };

  const labelsPath = join(modelDir, file.labels);
  let labelsText: string;
  try {
    labelsText = await readFile(labelsPath, "utf8");
  } catch (error) {
    throw new ManifestError(
      `${MANIFEST_FILE}: labels: cannot read labels file ${labelsPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      "labels",
      { cause: error },
    );
  }
  return { ...file, labels: parseLabels(labelsText, file.labels) };
}
