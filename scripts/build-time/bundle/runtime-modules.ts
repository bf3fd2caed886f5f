import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, readdir, readlink, symlink } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fetchPackage } from "./fetch-package.js";
import { installOnlyDependencies, keepPackagePath } from "./prune-rules.js";
import { packageSupports, type TargetPlatform } from "./target-platform.js";

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

export interface RuntimeModulesOptions {
  /** Folder whose node_modules holds the installed packages (the repository). */
  projectDir: string;
  /** The task root being assembled; packages land in its node_modules. */
  taskRoot: string;
  /** The packages the bundle leaves external; their runtime dependencies come along. */
  packages: readonly string[];
  target: TargetPlatform;
  /** Where packages for another platform than this machine's are cached after `npm pack`. */
  cacheDir: string;
}

export interface CopiedPackage {
  name: string;
  version: string;
  /** Path inside the task root, e.g. `node_modules/@img/sharp-linux-x64`. */
  path: string;
  /** Fetched from the registry because this machine's node_modules lacks the target's build. */
  fetched: boolean;
}

/** sharp's prebuilt add-on and libvips for the target; `npm ci` installs only the host's. */
export function platformPackageNames(target: TargetPlatform): string[] {
  return [`@img/sharp-${target.os}-${target.cpu}`, `@img/sharp-libvips-${target.os}-${target.cpu}`];
}

const readPackageJson = async (dir: string): Promise<PackageJson> =>
  JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as PackageJson;

/** Node's lookup: `<dir>/node_modules/<name>` from `fromDir` upwards, never above the project. */
function findInstalled(name: string, fromDir: string, projectDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === projectDir || dirname(dir) === dir) return undefined;
  }
}

async function copyPackageFiles(
  sourceDir: string,
  destinationDir: string,
  keep: (relPath: string) => boolean,
  relDir = "",
): Promise<void> {
  for (const entry of await readdir(join(sourceDir, relDir), { withFileTypes: true })) {
    // Nested node_modules are separate packages: the dependency walk copies the ones the runtime needs.
    if (entry.name === "node_modules") continue;
    const relPath = relDir ? `${relDir}/${entry.name}` : entry.name;
    if (!keep(relPath)) continue;
    const from = join(sourceDir, relPath);
    const to = join(destinationDir, relPath);
    if (entry.isDirectory()) {
      await copyPackageFiles(sourceDir, destinationDir, keep, relPath);
    } else if (entry.isSymbolicLink()) {
      await mkdir(dirname(to), { recursive: true });
      await symlink(await readlink(from), to);
    } else if (entry.isFile()) {
      await mkdir(dirname(to), { recursive: true });
      await copyFile(from, to);
    }
  }
}

/**
 * Copies the external packages and their runtime dependency closure into `<taskRoot>/node_modules`, keeping the
 * installed layout (so Node resolves them the same way), skipping optional dependencies for other platforms and
 * install-only dependencies, and dropping files no runtime needs.
 */
export async function assembleRuntimeModules(options: RuntimeModulesOptions): Promise<CopiedPackage[]> {
  const { projectDir, taskRoot, target, cacheDir } = options;
  const wantedPlatformPackages = new Set(platformPackageNames(target));
  const copied = new Map<string, CopiedPackage>();

  async function include(name: string, versionSpec: string | undefined, fromDir: string, optional: boolean) {
    let sourceDir = findInstalled(name, fromDir, projectDir);
    let fetched = false;
    if (!sourceDir) {
      if (optional && !wantedPlatformPackages.has(name)) return;
      if (!wantedPlatformPackages.has(name) || !versionSpec) {
        throw new Error(`${name} is not installed (needed from ${relative(projectDir, fromDir) || "."}); run npm ci`);
      }
      sourceDir = await fetchPackage(name, versionSpec, cacheDir);
      fetched = true;
    }
    const manifest = await readPackageJson(sourceDir);
    if (!packageSupports(manifest, target)) return;

    const path = fetched ? join("node_modules", name) : relative(projectDir, sourceDir);
    if (copied.has(path)) return;
    copied.set(path, { name, version: manifest.version, path, fetched });
    await copyPackageFiles(sourceDir, join(taskRoot, path), (relPath) => keepPackagePath(name, relPath, target));

    const skipped = new Set(installOnlyDependencies[name] ?? []);
    const dependencyFrom = fetched ? projectDir : sourceDir;
    for (const [dependency, spec] of Object.entries(manifest.dependencies ?? {})) {
      if (!skipped.has(dependency)) await include(dependency, spec, dependencyFrom, false);
    }
    for (const [dependency, spec] of Object.entries(manifest.optionalDependencies ?? {})) {
      if (!skipped.has(dependency)) await include(dependency, spec, dependencyFrom, true);
    }
  }

  for (const name of options.packages) await include(name, undefined, projectDir, false);

  const missing = [...wantedPlatformPackages].filter((name) => ![...copied.values()].some((p) => p.name === name));
  if (options.packages.includes("sharp") && missing.length > 0) {
    throw new Error(`sharp's packages for ${target.os}-${target.cpu} are missing: ${missing.join(", ")}`);
  }
  return [...copied.values()].sort((a, b) => a.path.localeCompare(b.path));
}
