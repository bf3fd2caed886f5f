import { lstat, readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export const sizeCategories = ["code", "model", "onnxruntime", "sharp", "other"] as const;
export type SizeCategory = (typeof sizeCategories)[number];

export interface SizeReport {
  totalBytes: number;
  bytes: Record<SizeCategory, number>;
  files: number;
}

function categorise(relPath: string): SizeCategory {
  const path = relPath.split(sep).join("/");
  if (path.startsWith("model/")) return "model";
  if (/^node_modules\/onnxruntime-(node|common)\//.test(path)) return "onnxruntime";
  if (/^node_modules\/(sharp|@img)\//.test(path)) return "sharp";
  if (path.startsWith("node_modules/")) return "other";
  return "code"; // index.mjs, its source map, package.json
}

/** Bytes of every file under the task root (apparent size, as the image layer stores them), by category. */
export async function measureTaskRoot(taskRoot: string): Promise<SizeReport> {
  const bytes = Object.fromEntries(sizeCategories.map((category) => [category, 0])) as Record<SizeCategory, number>;
  let files = 0;
  for (const entry of await readdir(taskRoot, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    bytes[categorise(relative(taskRoot, file))] += (await lstat(file)).size;
    files += 1;
  }
  const totalBytes = sizeCategories.reduce((sum, category) => sum + bytes[category], 0);
  return { totalBytes, bytes, files };
}

const megabytes = (value: number): string => (value / 1e6).toFixed(1).padStart(7);

export function formatSizeReport(report: SizeReport, label: string): string {
  const lines = [`${label}  (MB = 10^6 bytes)`];
  for (const category of sizeCategories) {
    const share = report.totalBytes > 0 ? ((100 * report.bytes[category]) / report.totalBytes).toFixed(0) : "0";
    lines.push(`  ${category.padEnd(12)}${megabytes(report.bytes[category])} MB  ${share.padStart(3)}%`);
  }
  lines.push(`  ${"total".padEnd(12)}${megabytes(report.totalBytes)} MB  (${report.files} files)`);
  return lines.join("\n");
}
