import type { Manifest } from "../../../handler/manifest.js";
import { ensurePeerModel } from "./peer-model.js";

export interface PeerSample {
  e2eMs: number;
  predictions: { label: string; score: number }[];
}

export type PeerClassifier = (bytes: Uint8Array) => Promise<PeerSample>;

/**
 * The transformers.js image-classification pipeline on our model, offline: a generated model folder, no remote
 * models, the same ONNX Runtime options and thread count as our classifier.
 */
export async function loadPeer(workDir: string, modelDir: string, manifest: Manifest, threads: number): Promise<PeerClassifier> {
  const folder = await ensurePeerModel(workDir, modelDir, manifest);
  const { pipeline, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${folder.root}/`;
  env.useFSCache = false;
  const classify = await pipeline("image-classification", folder.name, {
    dtype: "fp32",
    device: "cpu",
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all", executionMode: "sequential" },
  });
  const labels = manifest.labels.length;
  return async (bytes) => {
    const start = performance.now();
    // A Node.js user holding bytes passes them as a Blob (RawImage.read takes a URL, path, Blob or RawImage).
    const output = await classify(new Blob([bytes]), { top_k: labels });
    const e2eMs = performance.now() - start;
    return { e2eMs, predictions: output as { label: string; score: number }[] };
  };
}
