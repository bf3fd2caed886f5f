import { fileURLToPath } from "node:url";
import { ociPlatform, type ContainerArch } from "./debian-rootfs.js";
import { caSecretArgs, findExtraCaFile } from "./extra-ca.js";
import { runPodman } from "./podman.js";
import { ensureStandInBase } from "./stand-in-base.js";
import { timed } from "./timed.js";

export const projectDir = fileURLToPath(new URL("../../../", import.meta.url));

export const defaultLocalTag = (arch: ContainerArch) => `localhost/image-classifier:local-${arch}`;

/** `podman build` arguments for the project's Dockerfile on BASE (the stand-in), for ARCH, tagged TAG. */
export function localImageBuildArgs(options: { arch: ContainerArch; base: string; tag: string; caFile: string | undefined }): string[] {
  return [
    "build",
    "--platform",
    ociPlatform(options.arch),
    "--build-arg",
    `BASE_IMAGE=${options.base}`,
    ...caSecretArgs(options.caFile),
    "--layers",
    "--file",
    "Dockerfile",
    "--tag",
    options.tag,
    ".",
  ];
}

/**
 * Builds the project's own Dockerfile with podman on the local stand-in base image (built first when missing).
 * The machine's extra CA, if any, reaches `npm ci` as the build secret "ca". Resolves with the tag and how long it took.
 */
export async function buildLocalImage(options: { arch: ContainerArch; tag?: string; log?: (line: string) => void }): Promise<{ ref: string; seconds: number }> {
  const { arch } = options;
  const log = options.log ?? (() => {});
  const ref = options.tag ?? defaultLocalTag(arch);
  const started = performance.now();
  const base = await ensureStandInBase({ arch, log });
  const caFile = await findExtraCaFile();
  await timed(`podman build ${ref} (Dockerfile on ${base.ref})`, log, () =>
    runPodman(localImageBuildArgs({ arch, base: base.ref, tag: ref, caFile }), { cwd: projectDir, onOutput: (chunk) => log(chunk.trimEnd()) }),
  );
  return { ref, seconds: (performance.now() - started) / 1000 };
}
