import { readFile } from "node:fs/promises";
import { relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileFrame {
  /** `function (file:line)`, or a V8 pseudo-frame such as (idle), (garbage collector), (program). */
  frame: string;
  selfMs: number;
  /** Share of the profile's wall time. */
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  /** Main-thread time not idle: JavaScript, GC, V8 itself. Native work on libvips/ORT threads shows as idle. */
  busyPercent: number;
  top: ProfileFrame[];
  /** Self time grouped by where the code lives: handler/, node_modules/<package>, node:internals, V8. */
  byOrigin: { origin: string; selfMs: number; selfPercent: number }[];
}

function originOf(url: string, functionName: string, root: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native/V8)";
  if (url.startsWith("node:")) return "node: internals";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (modules) return modules[1]!;
  const inRepo = relative(root, path);
  return inRepo.split("/")[0] ?? inRepo;
}

/** Self time per frame (and per origin) of a .cpuprofile file. */
export async function summarizeCpuProfile(file: string, root: string, topN = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const where = (frame: ProfileNode["callFrame"]) =>
    `${frame.url.startsWith("file://") ? relative(root, new URL(frame.url).pathname) : frame.url}:${frame.lineNumber + 1}`;
  const nearestScriptCaller = (id: number): number | undefined => {
    let caller = parentOf.get(id);
    while (caller !== undefined && !byId.get(caller)!.callFrame.url) caller = parentOf.get(caller);
    return caller;
  };
  /** A native function (no script URL) is named after the nearest JavaScript caller, e.g. ORT's binding run. */
  const describe = (id: number): string => {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (url) return `${functionName || "(anonymous)"} (${where(byId.get(id)!.callFrame)})`;
    if (functionName.startsWith("(") && functionName !== "(anonymous)") return functionName;
    const caller = nearestScriptCaller(id);
    const from = caller === undefined ? "" : `, called from ${byId.get(caller)!.callFrame.functionName || "(anonymous)"} (${where(byId.get(caller)!.callFrame)})`;
    return `native ${functionName || "(anonymous)"}${from}`;
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const wallUs = profile.endTime - profile.startTime;

  const frames = new Map<string, number>();
  const origins = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") idleUs += us;
    const frame = describe(id);
    frames.set(frame, (frames.get(frame) ?? 0) + us);
    let origin = originOf(url, functionName, root);
    if (!url && (!functionName.startsWith("(") || functionName === "(anonymous)")) {
      const caller = nearestScriptCaller(id);
      if (caller !== undefined) {
        const frame = byId.get(caller)!.callFrame;
        origin = `${originOf(frame.url, frame.functionName, root)} (native)`;
      }
    }
    origins.set(origin, (origins.get(origin) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / wallUs) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    file,
    wallMs: ms(wallUs),
    busyPercent: pct(wallUs - idleUs),
    top: [...frames]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([frame, us]) => ({ frame, selfMs: ms(us), selfPercent: pct(us) })),
    byOrigin: [...origins]
      .sort((a, b) => b[1] - a[1])
      .map(([origin, us]) => ({ origin, selfMs: ms(us), selfPercent: pct(us) })),
  };
}
