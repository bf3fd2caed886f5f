import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseLabels, parseManifestFile } from "../handler/manifest.js";
import { catalog, DEFAULT_MODEL_ZOO_BASE_URL, downloadUrl, IMAGENET_LABELS_FILE } from "../scripts/tools/model-fetch/catalog.js";

describe("model zoo catalog", () => {
  it("has unique names", () => {
    expect(new Set(catalog.map((entry) => entry.name)).size).toBe(catalog.length);
  });

  it.each(catalog.map((entry) => [entry.name, entry] as const))("%s: download is pinned and checkable", (_, entry) => {
    const { commit, path, sha256, size, format } = entry.download;
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Number.isSafeInteger(size) && size > 1_000_000).toBe(true);
    expect(path.endsWith(format === "onnx" ? ".onnx" : ".tar.gz")).toBe(true);
    expect(downloadUrl(entry.download)).toBe(`${DEFAULT_MODEL_ZOO_BASE_URL}/${commit}/${path}`);
    expect(downloadUrl(entry.download, "http://127.0.0.1:9/zoo/")).toBe(`http://127.0.0.1:9/zoo/${commit}/${path}`);
  });

  it.each(catalog.map((entry) => [entry.name, entry] as const))("%s: manifest is complete and valid", (_, entry) => {
    // The fetcher adds sha256 of the installed file; everything else must already be there.
    const manifest = parseManifestFile({ ...entry.manifest, sha256: "0".repeat(64) });
    expect(manifest.name).toBe(entry.name);
    expect(manifest.file).toBe("model.onnx");
    expect(manifest.labels).toBe("imagenet-1000.txt");
    expect(entry.labelsFile).toBe(IMAGENET_LABELS_FILE);
    expect(manifest.source).toMatchObject({ zoo: "onnx/models", commit: entry.download.commit, path: entry.download.path });
    for (const key of ["name", "layout", "width", "height", "colorOrder", "resize", "scale", "mean", "std"]) {
      expect(entry.manifest.input, `input.${key}`).toHaveProperty(key);
    }
    expect(manifest.input).toMatchObject({ width: 224, height: 224, colorOrder: "RGB" });
    // Each zoo model's own preprocessing: torchvision on PIL images, or cv2 for EfficientNet-Lite4.
    const convention = entry.name === "efficientnet-lite4-11" ? "opencv-linear" : "pillow-bilinear";
    expect(manifest.input.resize).toEqual({ mode: "cover", shorterSide: 256, convention });
  });

  it("uses ImageNet mean/std on a 0..1 scale for the NCHW models and (x-127)/128 for EfficientNet-Lite4", () => {
    for (const entry of catalog) {
      const { input, output } = entry.manifest;
      if (entry.name.startsWith("efficientnet-lite4")) {
        expect(input).toMatchObject({ name: "images:0", layout: "NHWC", scale: 1, mean: [127, 127, 127], std: [128, 128, 128] });
        expect(output).toEqual({ name: "Softmax:0", kind: "probabilities" });
      } else {
        expect(input).toMatchObject({ layout: "NCHW", scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
        expect(output.kind).toBe("logits");
      }
    }
  });

  it("ships the 1000 ImageNet labels, one per line, unique, in class-index order", async () => {
    const text = await readFile(IMAGENET_LABELS_FILE, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n");
    expect(lines).toHaveLength(1000);
    expect(new Set(lines).size).toBe(1000);
    for (const line of lines) expect(line).toMatch(/^\S(.*\S)?$/);
    expect(lines[0]).toBe("tench, Tinca tinca");
    expect(lines[134]).toBe("crane (bird)");
    expect(lines[517]).toBe("crane (machine)");
    expect(lines[999]).toBe("toilet tissue, toilet paper, bathroom tissue");
    expect(parseLabels(text, "imagenet-1000.txt")).toEqual(lines);
  });
});
