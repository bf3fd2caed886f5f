import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { extract } from "tar";

const REGULAR_FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

/** The model file of a zoo archive, not macOS resource forks ("._x.onnx") that some archives carry. */
function isModelMember(path: string): boolean {
  const name = basename(path);
  return name.endsWith(".onnx") && !name.startsWith("._");
}

/**
 * Extracts the single .onnx file of a Model Zoo archive (.tar.gz holding the model and its test data) into
 * `directory` and returns its path there. Everything else in the archive is skipped.
 */
export async function extractOnnxFromArchive(archive: string, directory: string): Promise<{ path: string; member: string }> {
  await extract({
    file: archive,
    cwd: directory,
    strict: true,
    filter: (path, entry) => isModelMember(path) && (!("type" in entry) || REGULAR_FILE_TYPES.has(entry.type)),
  });
  // Look at what was written rather than trusting member names: tar sanitises unsafe paths while extracting.
  const written = (await readdir(directory, { recursive: true, withFileTypes: true }))
    .filter((dirent) => dirent.isFile() && isModelMember(dirent.name))
    .map((dirent) => join(dirent.parentPath, dirent.name));
  if (written.length === 0) throw new Error("the downloaded archive holds no .onnx file");
  if (written.length > 1) {
    const names = written.map((path) => path.slice(directory.length + 1)).join(", ");
    throw new Error(`the downloaded archive holds several .onnx files (${names}); expected one`);
  }
  const path = written[0]!;
  return { path, member: path.slice(directory.length + 1) };
}
