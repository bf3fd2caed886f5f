import type { BenchImage } from "./image-set.js";

/** What every phase child gets: the image set, the model folder and a work folder. */
export interface PhaseContext {
  images: BenchImage[];
  modelDir: string;
  workDir: string;
  /** Measurement rounds (each round runs every image once through every contender). */
  rounds: number;
  /** ONNX Runtime intra-op threads for our handler and the peer. */
  threads: number;
}

export type PhaseMessage = { ok: true; result: unknown } | { ok: false; error: string };

/** Load average sampled around a phase: the machine is shared, so this says how noisy the numbers are. */
export interface LoadSample {
  before: number[];
  after: number[];
}
