import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { imageExists, runPodman } from "./podman.js";
import { timed } from "./timed.js";

const execFileAsync = promisify(execFile);

export type ContainerArch = "x64" | "arm64";

export const debianSuite = "bookworm";
export const defaultDebianMirror = "http://deb.debian.org/debian";

export const debianArch = (arch: ContainerArch) => (arch === "x64" ? "amd64" : "arm64");
export const ociPlatform = (arch: ContainerArch) => `linux/${debianArch(arch)}`;

/**
 * The Debian mirror apt already uses for SUITE, from the texts of /etc/apt/sources.list (one-line format) and
 * sources.list.d/*.sources (deb822); the security and updates archives are skipped. Debian's own mirror when none.
 */
export function debianMirror(sourcesTexts: readonly string[], suite = debianSuite): string {
  for (const text of sourcesTexts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "im").exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      if (!field("Types").includes("deb") || /^Enabled:\s*no\b/im.test(stanza)) continue;
      if (field("Suites").includes(suite)) {
        const uri = field("URIs").find((candidate) => /^https?:\/\//.test(candidate));
        if (uri) return uri.replace(/\/$/, "");
      }
    }
    for (const line of text.split("\n")) {
      const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (match && match[2] === suite && /^https?:\/\//.test(match[1]!)) return match[1]!.replace(/\/$/, "");
    }
  }
  return defaultDebianMirror;
}

async function machineSourcesTexts(): Promise<string[]> {
  const texts: string[] = [];
  const read = async (path: string) => {
    try {
      texts.push(await readFile(path, "utf8"));
    } catch {
      // An absent file is no source.
    }
  };
  await read("/etc/apt/sources.list");
  try {
    for (const name of (await readdir("/etc/apt/sources.list.d")).sort()) {
      if (name.endsWith(".list") || name.endsWith(".sources")) await read(join("/etc/apt/sources.list.d", name));
    }
  } catch {
    // No sources.list.d.
  }
  return texts;
}

export const rootfsRef = (arch: ContainerArch) => `localhost/lambda-standin-rootfs:${debianSuite}-minbase-${arch}`;

/**
 * A Debian minbase root filesystem for ARCH as a local image (debootstrap from the machine's mirror, then
 * `podman import`), built only when missing. A foreign ARCH runs debootstrap's second stage under qemu-user-static.
 */
export async function ensureDebianRootfs(options: { arch: ContainerArch; log: (line: string) => void }): Promise<{ ref: string; built: boolean }> {
  const { arch, log } = options;
  const ref = rootfsRef(arch);
  if (await imageExists(ref)) return { ref, built: false };
  const mirror = debianMirror(await machineSourcesTexts());
  const work = await mkdtemp(join(tmpdir(), "standin-rootfs-"));
  try {
    const root = join(work, "root");
    await timed(`debootstrap ${debianSuite} minbase ${debianArch(arch)} from ${mirror}`, log, () =>
      execFileAsync("debootstrap", ["--variant=minbase", `--arch=${debianArch(arch)}`, debianSuite, root, mirror], { maxBuffer: 64 * 1024 * 1024 }).catch(
        (error: unknown) => {
          throw new Error(`debootstrap failed (it needs root, and qemu-user-static for a foreign architecture)`, { cause: error });
        },
      ),
    );
    const tarball = join(work, "rootfs.tar");
    await timed("rootfs tarball", log, () => execFileAsync("tar", ["--numeric-owner", "-C", root, "-cf", tarball, "."]));
    await timed(`podman import ${ref}`, log, () =>
      runPodman(["import", "--arch", debianArch(arch), "--change", "ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", tarball, ref]),
    );
    return { ref, built: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
