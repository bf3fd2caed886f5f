/**
 * ONNX Model Zoo ImageNet classifiers that `npm run model:fetch -- NAME` can install.
 *
 * Provenance of every number here:
 * - `sha256` and `size` are the `oid sha256:` and `size` lines of the Git LFS pointer file that github.com/onnx/models
 *   holds at `commit`/`path` (read from the pointer text, not computed here: this machine cannot reach the zoo).
 *   The download URL is pinned to that same commit, so the bytes served are the ones the pointer describes.
 * - Tensor names, layouts and preprocessing come from each model's README in onnx/models (and, for the tensor names,
 *   agree with several independent projects that load these files); the fetcher also checks the names and input shape
 *   against the downloaded model with ONNX Runtime before installing it.
 * - Labels: `model/labels/imagenet-1000.txt`, the 1000 ILSVRC-2012 class names in index order 0..999, extracted from
 *   IMAGENET_CLASSES in the npm package @tensorflow-models/mobilenet@2.1.1 (dist/imagenet_classes.js, Apache-2.0,
 *   Copyright 2019 Google LLC). The list names two classes "crane"; they are written "crane (bird)" (index 134,
 *   WordNet n02012849) and "crane (machine)" (index 517, n03126707) so that every label is unique.
 */
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import type { manifestFileSchema } from "../../../handler/manifest.js";

/** model.json as written on disk, before its `sha256` is known (it is computed from the installed file). */
export type CatalogManifest = Omit<z.input<typeof manifestFileSchema>, "sha256">;

export interface CatalogDownload {
  /** onnx/models commit whose Git LFS pointer gave sha256 and size; the URL is pinned to it. */
  commit: string;
  /** Path inside onnx/models at that commit. */
  path: string;
  /** sha256 of the downloaded file (the .onnx itself, or the archive when `format` is "tar.gz"). */
  sha256: string;
  size: number;
  /** "tar.gz": the zoo archive that holds the .onnx next to its test data; the .onnx is extracted after download. */
  format: "onnx" | "tar.gz";
}

export interface CatalogEntry {
  name: string;
  summary: string;
  download: CatalogDownload;
  manifest: CatalogManifest;
  /** Labels file copied into the model folder under the name `manifest.labels`. */
  labelsFile: string;
}

/** `${base}/${commit}/${path}` on GitHub redirects to the Git LFS media host. */
export const DEFAULT_MODEL_ZOO_BASE_URL = "https://github.com/onnx/models/raw";

export const IMAGENET_LABELS_FILE = fileURLToPath(new URL("../../../model/labels/imagenet-1000.txt", import.meta.url));
const LABELS_NAME = "imagenet-1000.txt";

const IMAGENET_NCHW: Omit<CatalogManifest["input"], "name"> = {
  layout: "NCHW",
  width: 224,
  height: 224,
  colorOrder: "RGB",
  // The zoo's README preprocesses these with torchvision on PIL images: Resize(256), CenterCrop(224).
  resize: { mode: "cover", shorterSide: 256, convention: "pillow-bilinear" },
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

function zooSource(download: CatalogDownload, license: string) {
  return {
    zoo: "onnx/models",
    commit: download.commit,
    path: download.path,
    archiveSha256: download.format === "tar.gz" ? download.sha256 : undefined,
    license,
    labels: "@tensorflow-models/mobilenet@2.1.1 dist/imagenet_classes.js (Apache-2.0)",
    fetcher: "scripts/tools/model-fetch/main.ts",
  };
}

function entry(
  name: string,
  summary: string,
  download: CatalogDownload,
  license: string,
  manifest: Omit<CatalogManifest, "name" | "source" | "file" | "labels">,
): CatalogEntry {
  const source = Object.fromEntries(Object.entries(zooSource(download, license)).filter(([, v]) => v !== undefined));
  return {
    name,
    summary,
    download,
    labelsFile: IMAGENET_LABELS_FILE,
    manifest: { name, ...manifest, source, file: "model.onnx", labels: LABELS_NAME },
  };
}

export const catalog: readonly CatalogEntry[] = [
  entry(
    "mobilenetv2-12",
    "MobileNetV2 1.0, opset 12, 14 MB (zoo archive with test data, 13.5 MB)",
    {
      commit: "2a67a85e670e61bf9819e9df6dae3771974552ff",
      path: "validated/vision/classification/mobilenet/model/mobilenetv2-12.tar.gz",
      sha256: "5f83b422708a708b592a5fd56d84710038511789df3ae510b84123930c37762d",
      size: 13498787,
      format: "tar.gz",
    },
    "Apache-2.0",
    {
      version: "opset12",
      description: "MobileNetV2 1.0 ImageNet classifier (top-1 ~70.9%) from the ONNX Model Zoo",
      input: { name: "input", ...IMAGENET_NCHW },
      output: { name: "output", kind: "logits" },
    },
  ),
  entry(
    "resnet50-v1-12",
    "ResNet50 v1 fp32, opset 12, 98 MB",
    {
      commit: "652f4e4af7975c8e7a505c4b6e0f8ac72d8260ea",
      path: "vision/classification/resnet/model/resnet50-v1-12.onnx",
      sha256: "ab65bdc02c5b3123eb3cdf6dac01742438517d8635d4f233913b2be1c70db3b6",
      size: 102576419,
      format: "onnx",
    },
    "Apache-2.0",
    {
      version: "opset12",
      description: "ResNet50 v1 ImageNet classifier (top-1 ~75.0%) from the ONNX Model Zoo",
      input: { name: "data", ...IMAGENET_NCHW },
      output: { name: "resnetv17_dense0_fwd", kind: "logits" },
    },
  ),
  entry(
    "resnet50-v2-7",
    "ResNet50 v2, opset 7, 98 MB",
    {
      commit: "b9a54e89508f101a1611cd64f4ef56b9cb62c7cf",
      path: "vision/classification/resnet/model/resnet50-v2-7.onnx",
      sha256: "1e80e8a7c8eec8e8b20c440d7dd7f2f8590779c7c2859dc4514870dc463845d3",
      size: 102442450,
      format: "onnx",
    },
    "Apache-2.0",
    {
      version: "opset7",
      description: "ResNet50 v2 ImageNet classifier (top-1 ~75.8%) from the ONNX Model Zoo",
      input: { name: "data", ...IMAGENET_NCHW },
      output: { name: "resnetv24_dense0_fwd", kind: "logits" },
    },
  ),
  entry(
    "squeezenet1.1-7",
    "SqueezeNet 1.1, opset 7, 9 MB",
    {
      commit: "96d633069ed74096408061accc3b728672802890",
      path: "vision/classification/squeezenet/model/squeezenet1.1-7.onnx",
      sha256: "9456373b67f04e4a9cb0bb9be984f0db2d0ad141582d84d4b4ad9e84f7ec7785",
      size: 9165684,
      format: "onnx",
    },
    "Apache-2.0",
    {
      version: "opset7",
      description: "SqueezeNet 1.1 ImageNet classifier (top-1 ~56.3%) from the ONNX Model Zoo",
      input: { name: "data", ...IMAGENET_NCHW },
      output: { name: "squeezenet0_flatten0_reshape0", kind: "logits" },
    },
  ),
  entry(
    // At this commit the file was still called efficientnet-lite4.onnx; the zoo later renamed it -11 (its opset).
    "efficientnet-lite4-11",
    "EfficientNet-Lite4, opset 11, NHWC, softmax output, 52 MB",
    {
      commit: "1455c7548852a276312aad28413d60558ac2dcfa",
      path: "vision/classification/efficientnet-lite4/model/efficientnet-lite4.onnx",
      sha256: "d111689907c06eea7c82e4833ddef758da6453b9d4cf60b7e99ca05c7cbd9c12",
      size: 51946641,
      format: "onnx",
    },
    "MIT",
    {
      version: "opset11",
      description: "EfficientNet-Lite4 ImageNet classifier (top-1 ~80.4%, TensorFlow export) from the ONNX Model Zoo",
      // The zoo README: resize keeping aspect ratio so the shorter side is 224 / 0.875 = 256, centre-crop 224,
      // then (pixel - 127) / 128 per channel, RGB, batch of 1 baked in. Its resize is cv2.INTER_LINEAR; its crop floors
      // the offsets where torchvision's (ours) rounds half to even, so a crop may sit one pixel apart.
      input: {
        name: "images:0",
        layout: "NHWC",
        width: 224,
        height: 224,
        colorOrder: "RGB",
        resize: { mode: "cover", shorterSide: 256, convention: "opencv-linear" },
        scale: 1,
        mean: [127, 127, 127],
        std: [128, 128, 128],
      },
      output: { name: "Softmax:0", kind: "probabilities" },
    },
  ),
];

export function findCatalogEntry(name: string): CatalogEntry | undefined {
  return catalog.find((candidate) => candidate.name === name);
}

export function downloadUrl(download: CatalogDownload, baseUrl: string = DEFAULT_MODEL_ZOO_BASE_URL): string {
  return `${baseUrl.replace(/\/+$/, "")}/${download.commit}/${download.path}`;
}
