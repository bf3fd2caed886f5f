import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifest, ManifestError, parseLabels, parseManifestFile } from "../handler/manifest.js";

/** The default model's manifest shape from the brief (MANIFEST.md). */
const validManifest = () => ({
  name: "nsfwjs-mobilenet-v2",
  version: "4.3.0",
  description: "test",
  source: { package: "nsfwjs@4.3.0", license: "MIT" },
  file: "model.onnx",
  sha256: "ab".repeat(32),
  input: {
    name: "input",
    layout: "NHWC",
    width: 224,
    height: 224,
    colorOrder: "RGB",
    resize: { mode: "fill", kernel: "linear" },
    scale: 0.00392156862745098,
    mean: [0, 0, 0],
    std: [1, 1, 1],
  },
  output: { name: "logits", kind: "logits" },
  labels: ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"],
});

type Json = ReturnType<typeof validManifest>;

function failure(edit: (m: Json) => void): ManifestError {
  const manifest = validManifest();
  edit(manifest);
  try {
    parseManifestFile(manifest);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return error as ManifestError;
  }
  throw new Error("manifest was accepted");
}

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "manifest-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe("parseManifestFile", () => {
  it("reads a manifest written before resize conventions as it always did: libvips, linear kernel", () => {
    const parsed = parseManifestFile(validManifest());
    expect(parsed.input.layout).toBe("NHWC");
    expect(parsed.input.resize).toEqual({ mode: "fill", convention: "libvips", kernel: "linear" });
    expect(parsed.labels).toHaveLength(5);
  });

  it("fills defaults for optional fields", () => {
    const manifest = validManifest() as Record<string, any>;
    delete manifest.input.colorOrder;
    delete manifest.input.mean;
    delete manifest.input.std;
    manifest.input.resize = { mode: "contain" };
    const parsed = parseManifestFile(manifest);
    expect(parsed.input.colorOrder).toBe("RGB");
    expect(parsed.input.mean).toEqual([0, 0, 0]);
    expect(parsed.input.std).toEqual([1, 1, 1]);
    expect(parsed.input.resize).toEqual({ mode: "contain", convention: "libvips", kernel: "linear", background: [0, 0, 0] });
    expect(parsed.input.alphaBackground).toEqual([255, 255, 255]);
  });

  it("accepts NCHW, BGR, cover with shorterSide and per-channel mean/std", () => {
    const manifest = validManifest() as Record<string, any>;
    Object.assign(manifest.input, {
      layout: "NCHW",
      colorOrder: "BGR",
      width: 224,
      height: 200,
      resize: { mode: "cover", shorterSide: 256, kernel: "cubic" },
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    manifest.output.kind = "probabilities";
    const parsed = parseManifestFile(manifest);
    expect(parsed.input.resize).toEqual({ mode: "cover", convention: "libvips", shorterSide: 256, kernel: "cubic" });
    expect(parsed.output.kind).toBe("probabilities");
  });

  it("accepts an exact resize convention by name, with no libvips kernel", () => {
    const manifest = validManifest() as Record<string, any>;
    manifest.input.resize = { mode: "fill", convention: "tensorflow-bilinear-align-corners" };
    expect(parseManifestFile(manifest).input.resize).toEqual({ mode: "fill", convention: "tensorflow-bilinear-align-corners" });
  });

  it("refuses a libvips kernel beside an exact convention, and an unknown convention", () => {
    const withKernel = failure((m) => {
      (m.input as any).resize = { mode: "fill", convention: "tensorflow-bilinear", kernel: "linear" };
    });
    expect(withKernel.field).toBe("input.resize.kernel");
    expect(withKernel.message).toMatch(/applies only to convention "libvips"/);
    const unknown = failure((m) => {
      (m.input as any).resize = { mode: "fill", convention: "bilinear" };
    });
    expect(unknown.field).toBe("input.resize.convention");
    expect(unknown.message).toMatch(/"tensorflow-bilinear-align-corners"/);
  });

  it("names a bad layout", () => {
    const error = failure((m) => {
      (m.input as any).layout = "CHW";
    });
    expect(error.message).toBe('model.json: input.layout: expected "NCHW" | "NHWC"');
    expect(error.field).toBe("input.layout");
  });

  it.each([
    ["input.width", (m: Json) => void ((m.input as any).width = 0)],
    ["input.height", (m: Json) => void ((m.input as any).height = 22.5)],
    ["input.mean", (m: Json) => void (m.input.mean = [0, 0])],
    ["input.std[1]", (m: Json) => void (m.input.std = [1, 0, 1])],
    ["input.scale", (m: Json) => void ((m.input as any).scale = "1/255")],
    ["input.colorOrder", (m: Json) => void ((m.input as any).colorOrder = "RBG")],
    ["input.resize.mode", (m: Json) => void ((m.input as any).resize = { mode: "stretch" })],
    ["input.resize.kernel", (m: Json) => void ((m.input as any).resize = { mode: "fill", kernel: "bilinear" })],
    ["input.resize.background[2]", (m: Json) => void ((m.input as any).resize = { mode: "contain", background: [0, 0, 300] })],
    ["input.resize.shorterSide", (m: Json) => void ((m.input as any).resize = { mode: "cover", shorterSide: 200 })],
    ["input.widht", (m: Json) => void ((m.input as any).widht = 3)],
    ["output.kind", (m: Json) => void delete (m.output as any).kind],
    ["output.name", (m: Json) => void ((m.output as any).name = "")],
    ["sha256", (m: Json) => void (m.sha256 = "abc")],
    ["file", (m: Json) => void (m.file = "../elsewhere/model.onnx")],
    ["labels", (m: Json) => void ((m as any).labels = [])],
    ["labels", (m: Json) => void ((m as any).labels = "../labels.txt")],
    ["name", (m: Json) => void delete (m as any).name],
    ["source", (m: Json) => void delete (m as any).source],
  ])("names %s when it is wrong", (field, edit) => {
    const error = failure(edit);
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`model.json: ${field}: `)).toBe(true);
  });
});

describe("parseLabels", () => {
  it("reads one label per line, tolerating CRLF, a BOM and a trailing newline", () => {
    expect(parseLabels("\uFEFFtench\r\ngoldfish\r\ngreat white shark\r\n", "labels.txt")).toEqual([
      "tench",
      "goldfish",
      "great white shark",
    ]);
  });

  it("reads a JSON array", () => {
    expect(parseLabels('["a", "b"]\n', "labels.json")).toEqual(["a", "b"]);
  });

  it("refuses an empty line in the middle because it would shift class indices", () => {
    expect(() => parseLabels("a\n\nb\n", "labels.txt")).toThrow(/line 2 is empty/);
  });

  it("refuses a JSON array that holds something other than strings", () => {
    expect(() => parseLabels("[1, 2]", "labels.json")).toThrow(ManifestError);
  });
});

describe("loadManifest", () => {
  it("resolves labels from a labels file in the model folder", async () => {
    const manifest = { ...validManifest(), labels: "classes.txt" };
    const dir = await dirWith({ "model.json": JSON.stringify(manifest), "classes.txt": "cat\ndog\n" });
    const loaded = await loadManifest(dir);
    expect(loaded.labels).toEqual(["cat", "dog"]);
    expect(loaded.input.width).toBe(224);
  });

  it("names labels when the labels file is missing", async () => {
    const dir = await dirWith({ "model.json": JSON.stringify({ ...validManifest(), labels: "missing.txt" }) });
    await expect(loadManifest(dir)).rejects.toThrow(/^model\.json: labels: cannot read labels file .*missing\.txt: ENOENT/);
  });

  it("refuses invalid JSON and a missing manifest with a ManifestError", async () => {
    const broken = await dirWith({ "model.json": "{ not json" });
    await expect(loadManifest(broken)).rejects.toThrow(/^model\.json: not valid JSON/);
    const empty = await dirWith({});
    await expect(loadManifest(empty)).rejects.toBeInstanceOf(ManifestError);
  });

  it("loads the repository's default model manifest", async () => {
    const loaded = await loadManifest("model");
    expect(loaded.input.layout).toBe("NHWC");
    expect(loaded.labels).toEqual(["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]);
  });
});
