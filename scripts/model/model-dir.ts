import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's model folder (`model/`), or MODEL_DIR when set. */
export function defaultModelDir(): string {
  return process.env.MODEL_DIR ? resolve(process.env.MODEL_DIR) : fileURLToPath(new URL("../../model/", import.meta.url));
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}
