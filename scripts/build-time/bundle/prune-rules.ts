import type { TargetPlatform } from "./target-platform.js";

/**
 * Dependencies a package declares that only its install script uses; the Lambda never runs install scripts.
 * onnxruntime-node: `script/install.js` downloads optional CUDA binaries with adm-zip and global-agent;
 * `dist/` (the runtime) requires only onnxruntime-common.
 */
export const installOnlyDependencies: Readonly<Record<string, readonly string[]>> = {
  "onnxruntime-node": ["adm-zip", "global-agent"],
};

/** Files no runtime needs: type declarations, TypeScript sources, source maps, docs, C headers. */
const neverNeeded = [
  /\.[cm]?ts$/, // .ts, .d.ts, .d.mts, .d.cts
  /\.map$/,
  /\.(md|markdown)$/i,
  /(^|\/)(README|CHANGELOG|HISTORY)(\.[^/]*)?$/i,
  /\.(h|hpp|cc|cpp|c|gyp|gypi)$/,
];

const isLicense = (relPath: string): boolean => /(^|\/)(LICEN[CS]E|NOTICE|COPYING)[^/]*$/i.test(relPath);

/** Package-specific folders that exist only for building, installing or other platforms. */
function packageRule(packageName: string, target: TargetPlatform): ((relPath: string) => boolean) | undefined {
  switch (packageName) {
    case "onnxruntime-node":
      // bin/napi-v<N>/<os>/<cpu>/…: keep only the target's folder (and the folders leading to it).
      return (relPath) => {
        const [top, , os, cpu] = relPath.split("/");
        if (top === "bin") return (os === undefined || os === target.os) && (cpu === undefined || cpu === target.cpu);
        return top !== "script" && top !== "lib";
      };
    case "onnxruntime-common":
      return (relPath) => !relPath.startsWith("lib");
    case "sharp":
      return (relPath) => !/^(src|install|lib)(\/|$)/.test(relPath);
    case "semver":
      return (relPath) => !/^bin(\/|$)/.test(relPath);
    default:
      return undefined;
  }
}

/**
 * Whether a file or folder of an installed package belongs in the task root.
 * `relPath` is relative to the package folder, with forward slashes.
 */
export function keepPackagePath(packageName: string, relPath: string, target: TargetPlatform): boolean {
  if (relPath === "package.json") return true;
  const rule = packageRule(packageName, target);
  if (rule && !rule(relPath)) return false;
  if (isLicense(relPath)) return true;
  return !neverNeeded.some((pattern) => pattern.test(relPath));
}
