import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { MobileNetV2Model } from "nsfwjs/models/mobilenet_v2";

/** One weight as the TFJS weights manifest describes it (the bundled model is all float32 stored as uint8). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

/** A Keras layer from the TFJS Layers topology. */
export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, object][][];
}

export interface NsfwjsModelFiles {
  packageVersion: string;
  /** Path of the model folder inside the package, as recorded in the manifest's provenance. */
  modelPath: string;
  layers: KerasLayer[];
  inputLayers: string[];
  outputLayers: string[];
  weightSpecs: WeightSpec[];
  /** All weight shards concatenated in manifest order. */
  weightData: Uint8Array;
}

const require = createRequire(import.meta.url);

function packageRoot(): string {
  let dir = dirname(require.resolve("nsfwjs"));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "nsfwjs") return dir;
    } catch {
      // not the package root yet
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("nsfwjs package root not found (is nsfwjs installed?)");
    dir = parent;
  }
}

/** The nsfwjs package version actually installed (the manifest records it). */
export function installedNsfwjsVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * Loads the MobileNetV2 topology and weights that nsfwjs bundles, the same way nsfwjs's ESM build does:
 * dynamic imports of `dist/models/mobilenet_v2/*.min.js` (a JSON object and a base64 string).
 */
export async function loadNsfwjsMobileNetV2(): Promise<NsfwjsModelFiles> {
  const modelJson = (await MobileNetV2Model.modelJson()).default as unknown as {
    modelTopology: { model_config: { config: { layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] } } };
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  };
  const shards: Uint8Array[] = [];
  for (const load of MobileNetV2Model.weightBundles) shards.push(Buffer.from((await load()).default, "base64"));
  const shardPaths = modelJson.weightsManifest.flatMap((group) => group.paths);
  if (shardPaths.length !== shards.length) {
    throw new Error(`nsfwjs MobileNetV2: manifest lists ${shardPaths.length} weight shards, package has ${shards.length}`);
  }
  const config = modelJson.modelTopology.model_config.config;
  return {
    packageVersion: installedNsfwjsVersion(),
    modelPath: "dist/models/mobilenet_v2",
    layers: config.layers,
    inputLayers: config.input_layers.map(([name]) => name),
    outputLayers: config.output_layers.map(([name]) => name),
    weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
    weightData: Buffer.concat(shards),
  };
}
