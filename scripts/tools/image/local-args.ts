import { parseArgs } from "node:util";
import type { ContainerArch } from "../../shared/container/stand-in-base.js";

/** The options of `npm run image:build -- --local`: --arch (default x64; amd64/aarch64 accepted) and --tag. */
export function parseLocalArgs(args: string[]): { arch: ContainerArch; tag: string | undefined } {
  const { values } = parseArgs({
    args,
    options: { local: { type: "boolean" }, arch: { type: "string", default: "x64" }, tag: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const arch = values.arch === "amd64" ? "x64" : values.arch === "aarch64" ? "arm64" : values.arch;
  if (arch !== "x64" && arch !== "arm64") throw new Error(`--arch must be x64 or arm64, not ${values.arch}`);
  return { arch, tag: values.tag };
}
