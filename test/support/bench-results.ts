import type { BenchResults } from "../../scripts/tools/bench/results.js";

/** The fields every bench result has, with no phase measured: a test adds the phase it renders or evaluates. */
export const emptyBenchResults = {
  startedAt: "2026-01-01T00:00:00Z",
  finishedAt: "2026-01-01T00:01:00Z",
  durationS: 60,
  machine: { cpus: 2, cpuModel: "test", node: "v20", platform: "linux x64", totalMemMB: 4096 },
  model: { name: "m", version: "1", sha256: "0".repeat(64), input: "NHWC 224×224" },
  threads: 2,
  rounds: 1,
  images: [],
  load: {},
  phaseSeconds: {},
  coldStart: {},
  errors: [],
} satisfies Omit<BenchResults, "targets">;
