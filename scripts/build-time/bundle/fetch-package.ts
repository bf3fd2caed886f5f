import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A package for another platform than this machine's (e.g. `@img/sharp-linux-arm64` on an x64 host), which
 * `npm ci` skipped. `npm pack` downloads its tarball from the registry npm is configured with, ignoring
 * `os`/`cpu`; the unpacked folder is cached under `cacheDir/<name>@<version>/`.
 */
export async function fetchPackage(name: string, version: string, cacheDir: string): Promise<string> {
  if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) {
    throw new Error(`${name}: cannot fetch version range "${version}" for another platform; pin an exact version`);
  }
  const packageDir = join(cacheDir, `${name.replace("/", "+")}@${version}`);
  if (existsSync(join(packageDir, "package.json"))) return packageDir;

  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(join(cacheDir, ".fetch-"));
  try {
    const { stdout } = await run("npm", ["pack", `${name}@${version}`, "--pack-destination", staging, "--json"], {
      cwd: staging,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (!packed) throw new Error(`npm pack ${name}@${version} reported no tarball`);
    await run("tar", ["-xzf", join(staging, packed.filename), "-C", staging]);
    // npm tarballs hold their files under "package/".
    const unpacked = join(staging, "package");
    if (!(await readdir(unpacked)).includes("package.json")) {
      throw new Error(`${name}@${version}: tarball has no package/package.json`);
    }
    await rm(packageDir, { recursive: true, force: true });
    await rename(unpacked, packageDir);
    return packageDir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
