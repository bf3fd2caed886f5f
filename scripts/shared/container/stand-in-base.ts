import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { debianSuite, ensureDebianRootfs, ociPlatform, type ContainerArch } from "./debian-rootfs.js";
import { caSecretArgs, findExtraCaFile } from "./extra-ca.js";
import { imageExists, runPodman } from "./podman.js";
import { timed } from "./timed.js";

export type { ContainerArch } from "./debian-rootfs.js";

/** The stand-in's build context: Containerfile, entrypoint, bootstrap and the download helper. */
export const standInDir = fileURLToPath(new URL("../../tools/image/stand-in/", import.meta.url));
export const standInFiles = ["Containerfile", "lambda-entrypoint.sh", "bootstrap", "fetch-npm-tarball.sh"] as const;

/** What public.ecr.aws/lambda/nodejs:22 runs, pinned with the npm registry's sha512 integrity of each tarball. */
export const standInVersions = {
  node: "22.23.5",
  nodeIntegrity: {
    x64: "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==",
    arm64: "sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==",
  },
  npm: "10.9.9",
  npmIntegrity: "sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==",
  ric: "4.0.2",
} as const;

export const standInRepository = "localhost/lambda-nodejs-standin";

/** The build arguments of the stand-in's Containerfile for ARCH (all but ROOTFS, which is the rootfs image). */
export function standInBuildArgs(arch: ContainerArch): Record<string, string> {
  return {
    NODE_ARCH: arch,
    NODE_VERSION: standInVersions.node,
    NODE_INTEGRITY: standInVersions.nodeIntegrity[arch],
    NPM_VERSION: standInVersions.npm,
    NPM_INTEGRITY: standInVersions.npmIntegrity,
    RIC_VERSION: standInVersions.ric,
  };
}

/** First 12 hex digits of the sha256 over every input of the stand-in: its files, the versions, the Debian suite. */
export function standInHash(files: Readonly<Record<string, string>>, arch: ContainerArch): string {
  const hash = createHash("sha256");
  const update = (key: string, value: string) => hash.update(`${key}\0${value.length}\0${value}\0`);
  for (const name of Object.keys(files).sort()) update(`file:${name}`, files[name]!);
  for (const [name, value] of Object.entries(standInBuildArgs(arch)).sort()) update(`arg:${name}`, value);
  update("debian", debianSuite);
  update("arch", arch);
  return hash.digest("hex").slice(0, 12);
}

export const standInRef = (arch: ContainerArch, hash12: string) => `${standInRepository}:22-${arch}-${hash12}`;

async function readStandInFiles(): Promise<Record<string, string>> {
  const entries = await Promise.all(standInFiles.map(async (name) => [name, await readFile(`${standInDir}${name}`, "utf8")] as const));
  return Object.fromEntries(entries);
}

/**
 * The local stand-in for the Lambda Node.js 22 base image for ARCH, built only when the tag for the hash of its
 * inputs is missing. The first build takes minutes (debootstrap, the ric's native build); later calls return at once.
 */
export async function ensureStandInBase(options: { arch: ContainerArch; log?: (line: string) => void }): Promise<{ ref: string; built: boolean }> {
  const { arch } = options;
  const log = options.log ?? (() => {});
  const ref = standInRef(arch, standInHash(await readStandInFiles(), arch));
  if (await imageExists(ref)) {
    log(`stand-in base ${ref} is cached`);
    return { ref, built: false };
  }
  await timed(`stand-in base ${ref}`, log, async () => {
    const rootfs = await ensureDebianRootfs({ arch, log });
    const caFile = await findExtraCaFile();
    const buildArgs = Object.entries({ ROOTFS: rootfs.ref, ...standInBuildArgs(arch) }).flatMap(([name, value]) => ["--build-arg", `${name}=${value}`]);
    await timed("podman build (stand-in: Node, npm, aws-lambda-ric)", log, () =>
      runPodman(
        ["build", "--platform", ociPlatform(arch), "--layers", ...buildArgs, ...caSecretArgs(caFile), "--file", "Containerfile", "--tag", ref, "."],
        { cwd: standInDir, onOutput: (chunk) => log(chunk.trimEnd()) },
      ),
    );
  });
  return { ref, built: true };
}
