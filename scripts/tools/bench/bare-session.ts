import * as ort from "onnxruntime-node";

/** A session with the options our classifier uses, differing only in the intra-op thread count. */
export function createBareSession(modelBytes: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelBytes, {
    graphOptimizationLevel: "all",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
}

/** One image's worth of input in [0, 1), filled once: the floor measures session.run alone. */
export function prefilledInput(layout: "NCHW" | "NHWC", width: number, height: number): ort.Tensor {
  const data = new Float32Array(3 * width * height);
  let seed = 7;
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    data[i] = seed / 4294967296;
  }
  return new ort.Tensor("float32", data, layout === "NCHW" ? [1, 3, height, width] : [1, height, width, 3]);
}

/** Milliseconds of one `session.run` on the pre-filled tensor. */
export async function timeRun(session: ort.InferenceSession, inputName: string, tensor: ort.Tensor): Promise<number> {
  const start = performance.now();
  const outputs = await session.run({ [inputName]: tensor });
  const ms = performance.now() - start;
  for (const value of Object.values(outputs)) value.dispose();
  return ms;
}
