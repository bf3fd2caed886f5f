import { readdir, readFile } from "node:fs/promises";

/** Resident and peak-resident memory of a process in MB, from /proc (Linux). */
export async function processMemoryMB(pid: number): Promise<{ rssMB: number; peakRssMB: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) / 1024;
    return { rssMB: field("VmRSS"), peakRssMB: field("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Pids of the direct children of `parent` whose command line contains `commandPart` (Linux /proc). */
export async function childPids(commandPart: string, parent: number = process.pid): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      // Fields after the parenthesised command name: state, ppid, ...
      const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(afterName[1]) !== parent) continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, "utf8")).replaceAll("\0", " ");
      if (command.includes(commandPart)) pids.push(Number(entry));
    } catch {
      // the process ended while listing
    }
  }
  return pids;
}
