import { readFile } from "node:fs/promises";
import { runPodman } from "../container/podman.js";

const cgroupPaths = new Map<string, Promise<string | undefined>>();

/** The container's cgroup (relative to a hierarchy's root) as podman reports it, looked up once per container. */
function cgroupPathOf(container: string): Promise<string | undefined> {
  let path = cgroupPaths.get(container);
  if (!path) {
    path = runPodman(["inspect", "--format", "{{.State.CgroupPath}}", container]).then(
      ({ stdout }) => stdout.trim() || undefined,
      () => undefined,
    );
    cgroupPaths.set(container, path);
  }
  return path;
}

/**
 * The container's peak memory in MB since it started, as Lambda's Max Memory Used is the environment's peak: the
 * cgroup's `memory.max_usage_in_bytes` (cgroup v1, this machine's hybrid layout) or `memory.peak` (cgroup v2).
 * 0 when neither can be read.
 */
export async function containerPeakMemoryMB(container: string): Promise<number> {
  const cgroup = await cgroupPathOf(container);
  if (!cgroup) return 0;
  const candidates = [
    `/sys/fs/cgroup/memory${cgroup}/memory.max_usage_in_bytes`,
    `/sys/fs/cgroup${cgroup}/memory.peak`,
    `/sys/fs/cgroup/unified${cgroup}/memory.peak`,
  ];
  for (const file of candidates) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text !== undefined && /^\d+\s*$/.test(text)) return Math.round(Number(text) / (1024 * 1024));
  }
  return 0;
}

/** Forgets a removed container's cgroup. */
export function forgetContainer(container: string): void {
  cgroupPaths.delete(container);
}
