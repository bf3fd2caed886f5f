import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's model folder (`model/`), or MODEL_DIR when set. */
export function defaultModelDir(): string {
  return process.env.MODEL_DIR ? resolve(process.env.MODEL_DIR) : fileURLToPath(new URL("../../../model/", import.meta.url));
}

