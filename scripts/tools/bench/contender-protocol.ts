import type { PhaseContext } from "./phase-protocol.js";

export type ContenderName = "ours" | "peer" | "floor";

/** One call's measurements; which fields are set depends on the contender. */
export interface ContenderSample {
  /** Wall time of the call (ours: handler call; peer: pipeline call; floor: decode + session.run). */
  e2eMs: number;
  /** CPU time of the contender's process (all its threads) during the call. */
  cpuMs: number;
  /** ours: the response's decode time; floor: the bare sharp decode-to-224. */
  decodeMs?: number;
  /** ours: the response's inference time; floor: the bare session.run. */
  inferenceMs?: number;
  /** ours: the route's total from the response timings. */
  routeTotalMs?: number;
  predictions?: { label: string; score: number }[];
}

export type ContenderRequest =
  | { kind: "run"; image: number; count: number }
  /** ours only: time writeImageTensor for one input-sized raster `count` times. */
  | { kind: "fill"; count: number };

export type ContenderReply =
  | { kind: "ready"; loadMs: number }
  | { kind: "samples"; samples: ContenderSample[] }
  | { kind: "fill"; samples: number[] }
  | { kind: "error"; error: string };

export interface ContenderStart {
  name: ContenderName;
  context: PhaseContext;
}
