import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** `--import` value that lets a child Node process run the repository's TypeScript (tsx, resolved from here). */
export const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
