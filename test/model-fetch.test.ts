import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import ort from "onnxruntime-node";
import { create as createTar } from "tar";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import sharp from "sharp";
import { Classifier } from "../handler/classifier.js";
import { loadManifest } from "../handler/manifest.js";
import { type CatalogEntry, catalog, IMAGENET_LABELS_FILE } from "../scripts/tools/model-fetch/catalog.js";
import { fetchModel, ModelFetchError } from "../scripts/tools/model-fetch/fetch-model.js";
import { createProgressReporter } from "../scripts/tools/model-fetch/progress.js";
import { DataType, OnnxGraphBuilder } from "../scripts/build-time/onnx/graph-builder.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const CLASSES = 1000;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** NCHW 224x224 "classifier": per-channel mean -> [N,3] -> MatMul W[3,1000] + b -> logits [N,1000]. */
function tinyImagenetModel() {
  // Pseudo-random weights (a fixed LCG) so the top classes are well apart for any input colour.
  let state = 12345;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const weights = Float32Array.from({ length: 3 * CLASSES }, () => random() * 6 - 3);
  const bias = Float32Array.from({ length: CLASSES }, () => random() - 0.5);
  const b = new OnnxGraphBuilder("tiny-imagenet");
  b.input("data", ["N", 3, 224, 224]);
  b.initializer("W", weights, [3, CLASSES]);
  b.initializer("B", bias, [CLASSES]);
  const [pooled] = b.node("GlobalAveragePool", ["data"]);
  const [flat] = b.node("Flatten", [pooled!]);
  const [scores] = b.node("MatMul", [flat!, "W"]);
  b.node("Add", [scores!, "B"], ["logits"]);
  b.output("logits", ["N", CLASSES], DataType.FLOAT);
  return { bytes: b.toBytes({ opset: 13 }), weights, bias };
}

const model = tinyImagenetModel();
let archiveBytes: Uint8Array;
let dataOnlyArchiveBytes: Uint8Array;

function testEntry(
  overrides: { path?: string; sha256?: string; size?: number; format?: "onnx" | "tar.gz"; bytes?: Uint8Array } = {},
) {
  const format = overrides.format ?? "onnx";
  const bytes = overrides.bytes ?? (format === "onnx" ? model.bytes : archiveBytes);
  const entry: CatalogEntry = {
    name: "tiny-imagenet",
    summary: "generated test model",
    download: {
      commit: COMMIT,
      path: overrides.path ?? (format === "onnx" ? "vision/tiny/model.onnx" : "vision/tiny/tiny.tar.gz"),
      sha256: overrides.sha256 ?? sha256(bytes),
      size: overrides.size ?? bytes.byteLength,
      format,
    },
    labelsFile: IMAGENET_LABELS_FILE,
    manifest: {
      name: "tiny-imagenet",
      version: "1",
      source: { zoo: "test", commit: COMMIT },
      file: "model.onnx",
      input: {
        name: "data",
        layout: "NCHW",
        width: 224,
        height: 224,
        colorOrder: "RGB",
        resize: { mode: "cover", shorterSide: 256, kernel: "linear" },
        scale: 1 / 255,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
      },
      output: { name: "logits", kind: "logits" },
      labels: "imagenet-1000.txt",
    },
  };
  return entry;
}

// --- a real HTTP server on 127.0.0.1; the first path segment picks its behaviour -------------------------------
const requests: string[] = [];
let server: http.Server;
let origin: string;

function serve(request: http.IncomingMessage, response: http.ServerResponse) {
  const url = request.url ?? "/";
  requests.push(url);
  const [, scenario, ...rest] = url.split("/");
  const path = rest.join("/");
  const body = path.endsWith("data-only.tar.gz")
    ? dataOnlyArchiveBytes
    : path.endsWith(".tar.gz")
      ? archiveBytes
      : path.endsWith(".onnx")
        ? model.bytes
        : undefined;
  if (!body) {
    response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    return;
  }
  switch (scenario) {
    case "good":
      response.writeHead(200, { "content-length": body.byteLength }).end(body);
      return;
    case "redirect": // like github.com/raw -> LFS media host: a relative hop, then an absolute one
      response.writeHead(302, { location: `/redirect2/${path}` }).end();
      return;
    case "redirect2":
      response.writeHead(307, { location: `${origin}/good/${path}` }).end();
      return;
    case "corrupt": {
      const flipped = Buffer.from(body);
      flipped[flipped.length >> 1]! ^= 0xff;
      response.writeHead(200, { "content-length": flipped.byteLength }).end(flipped);
      return;
    }
    case "cut": // full Content-Length announced, half the body sent, then the socket dies
      response.writeHead(200, { "content-length": body.byteLength });
      response.write(body.subarray(0, body.byteLength >> 1), () => response.socket?.destroy());
      return;
    case "short-chunked": // no Content-Length, a clean end after half the body
      response.writeHead(200, { "transfer-encoding": "chunked" });
      response.end(body.subarray(0, body.byteLength >> 1));
      return;
    default:
      response.writeHead(404).end();
  }
}

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "model-fetch-"));
  // A zoo-style archive: model and test data in a folder, plus a macOS resource fork that must be ignored.
  const tree = join(work, "tree");
  await mkdir(join(tree, "tiny", "test_data_set_0"), { recursive: true });
  await writeFile(join(tree, "tiny", "model.onnx"), model.bytes);
  await writeFile(join(tree, "tiny", "._model.onnx"), "AppleDouble");
  await writeFile(join(tree, "tiny", "test_data_set_0", "input_0.pb"), new Uint8Array(64).fill(7));
  await createTar({ gzip: true, cwd: tree, file: join(work, "tiny.tar.gz") }, ["tiny"]);
  archiveBytes = await readFile(join(work, "tiny.tar.gz"));
  await createTar({ gzip: true, cwd: join(tree, "tiny"), file: join(work, "data-only.tar.gz") }, ["test_data_set_0"]);
  dataOnlyArchiveBytes = await readFile(join(work, "data-only.tar.gz"));

  server = http.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

let out: string;
const OLD_MODEL = new TextEncoder().encode("previous model bytes");
const OLD_MANIFEST = '{"name":"previous"}\n';

beforeEach(async () => {
  out = await mkdtemp(join(work, "out-"));
  requests.length = 0;
});

async function installPreviousModel() {
  await writeFile(join(out, "model.onnx"), OLD_MODEL);
  await writeFile(join(out, "model.json"), OLD_MANIFEST);
}

async function expectPreviousModelIntact() {
  expect((await readdir(out)).sort()).toEqual(["model.json", "model.onnx"]);
  expect(new Uint8Array(await readFile(join(out, "model.onnx")))).toEqual(OLD_MODEL);
  expect(await readFile(join(out, "model.json"), "utf8")).toBe(OLD_MANIFEST);
}

/** Runs the installed model on a constant-per-channel image and compares with the hand-computed logits. */
async function expectInstalledModelRuns(dir: string) {
  const manifest = await loadManifest(dir);
  const channelValues = [0.5, -1, 2];
  const pixels = 224 * 224;
  const data = new Float32Array(3 * pixels);
  channelValues.forEach((value, c) => data.fill(value, c * pixels, (c + 1) * pixels));
  const session = await ort.InferenceSession.create(join(dir, manifest.file));
  try {
    const result = await session.run({ [manifest.input.name]: new ort.Tensor("float32", data, [1, 3, 224, 224]) });
    const logits = result[manifest.output.name]!.data as Float32Array;
    expect(logits.length).toBe(manifest.labels.length);
    for (let j = 0; j < CLASSES; j++) {
      const expected = channelValues.reduce((sum, v, c) => sum + v * model.weights[c * CLASSES + j]!, model.bias[j]!);
      expect(Math.abs(logits[j]! - expected)).toBeLessThan(1e-4);
    }
  } finally {
    await session.release();
  }
  return manifest;
}

describe("fetchModel against a local HTTP server", () => {
  it("downloads, verifies and installs model.onnx, model.json and the labels; the manifest loads and the model runs", async () => {
    await installPreviousModel();
    const result = await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/good` });

    expect(result.status).toBe("installed");
    expect(result.sha256).toBe(sha256(model.bytes));
    expect(requests).toEqual([`/good/${COMMIT}/vision/tiny/model.onnx`]);
    expect((await readdir(out)).sort()).toEqual(["imagenet-1000.txt", "model.json", "model.onnx"]);
    expect(sha256(await readFile(join(out, "model.onnx")))).toBe(sha256(model.bytes));

    const manifest = await expectInstalledModelRuns(out);
    expect(manifest.name).toBe("tiny-imagenet");
    expect(manifest.sha256).toBe(sha256(model.bytes));
    expect(manifest.source.url).toBe(`${origin}/good/${COMMIT}/vision/tiny/model.onnx`);
    expect(manifest.labels).toHaveLength(1000);
    expect(manifest.labels[0]).toBe("tench, Tinca tinca");
  });

  it("installs a folder the service's Classifier serves: ImageNet labels and hand-computed scores", async () => {
    await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/good` });
    const pixel = [200, 30, 90];
    const png = await sharp({ create: { width: 300, height: 260, channels: 3, background: { r: 200, g: 30, b: 90 } } })
      .png()
      .toBuffer();
    // A uniform image stays uniform through resize and crop, so each channel's mean is its normalised pixel value.
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const v = pixel.map((p, c) => (p / 255 - mean[c]!) / std[c]!);
    const logits = Array.from({ length: CLASSES }, (_, j) =>
      v.reduce((sum, x, c) => sum + x * model.weights[c * CLASSES + j]!, model.bias[j]!),
    );
    const max = Math.max(...logits);
    const total = logits.reduce((sum, l) => sum + Math.exp(l - max), 0);
    const labels = (await readFile(IMAGENET_LABELS_FILE, "utf8")).trimEnd().split("\n");
    const expected = logits
      .map((l, j) => ({ label: labels[j]!, score: Math.exp(l - max) / total }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 3);

    const classifier = await Classifier.load(out, { threads: 1, warmup: false });
    try {
      const { results } = await classifier.classify([png], 3);
      const [result] = results;
      if (!result?.ok) throw new Error(`classification failed: ${JSON.stringify(result)}`);
      expect(result.predictions.map((p) => p.label)).toEqual(expected.map((p) => p.label));
      result.predictions.forEach((p, k) => expect(Math.abs(p.score - expected[k]!.score)).toBeLessThan(1e-4));
    } finally {
      await classifier.dispose();
    }
  });

  it("skips a model that is already installed and intact unless forced", async () => {
    await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/good` });
    const again = await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/good` });
    expect(again.status).toBe("already-installed");
    expect(requests).toHaveLength(1);

    const forced = await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/good`, force: true });
    expect(forced.status).toBe("installed");
    expect(requests).toHaveLength(2);
  });

  it("removes staging folders of fetches that were killed, but not of running ones", async () => {
    await mkdir(join(out, ".fetch-999999999-killed"));
    await writeFile(join(out, ".fetch-999999999-killed", "model.onnx"), "partial");
    await mkdir(join(out, `.fetch-${process.pid}-running`));
    await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/good` });
    expect((await readdir(out)).sort()).toEqual([`.fetch-${process.pid}-running`, "imagenet-1000.txt", "model.json", "model.onnx"]);
  });

  it("follows redirects to the final host", async () => {
    const result = await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/redirect` });
    expect(result.status).toBe("installed");
    expect(requests).toEqual([
      `/redirect/${COMMIT}/vision/tiny/model.onnx`,
      `/redirect2/${COMMIT}/vision/tiny/model.onnx`,
      `/good/${COMMIT}/vision/tiny/model.onnx`,
    ]);
    expect(sha256(await readFile(join(out, "model.onnx")))).toBe(sha256(model.bytes));
  });

  it("rejects a checksum mismatch naming both hashes; the previous model stays and no temp file is left", async () => {
    await installPreviousModel();
    const entry = testEntry();
    const flipped = Buffer.from(model.bytes);
    flipped[flipped.length >> 1]! ^= 0xff;
    await expect(fetchModel(entry, { outDir: out, baseUrl: `${origin}/corrupt` })).rejects.toThrow(
      `checksum mismatch for ${origin}/corrupt/${COMMIT}/vision/tiny/model.onnx: expected sha256 ${entry.download.sha256}, got ${sha256(flipped)}`,
    );
    await expectPreviousModelIntact();
  });

  it("reports HTTP 404 with the URL", async () => {
    await installPreviousModel();
    await expect(
      fetchModel(testEntry({ path: "vision/tiny/missing.bin" }), { outDir: out, baseUrl: `${origin}/good` }),
    ).rejects.toThrow(`HTTP 404 Not Found from ${origin}/good/${COMMIT}/vision/tiny/missing.bin`);
    await expectPreviousModelIntact();
  });

  it("reports a connection cut mid-body with the byte count; the previous model stays", async () => {
    await installPreviousModel();
    const size = model.bytes.byteLength;
    await expect(fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/cut` })).rejects.toThrow(
      new RegExp(`connection to 127\\.0\\.0\\.1:\\d+ closed after \\d+ of ${size} bytes`),
    );
    await expectPreviousModelIntact();
  });

  it("reports a body that ends early without Content-Length as a size mismatch", async () => {
    await installPreviousModel();
    const size = model.bytes.byteLength;
    await expect(fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/short-chunked` })).rejects.toThrow(
      `received ${size >> 1} bytes, expected ${size}`,
    );
    await expectPreviousModelIntact();
  });

  it("rejects a server that announces a different size before writing anything", async () => {
    await installPreviousModel();
    const size = model.bytes.byteLength;
    await expect(
      fetchModel(testEntry({ size: size + 1 }), { outDir: out, baseUrl: `${origin}/good` }),
    ).rejects.toThrow(`server announces ${size} bytes, catalog expects ${size + 1}`);
    await expectPreviousModelIntact();
  });

  it("extracts the .onnx from a zoo archive and records the extracted file's own sha256", async () => {
    const entry = testEntry({ format: "tar.gz" });
    const result = await fetchModel(entry, { outDir: out, baseUrl: `${origin}/good` });
    expect(result.status).toBe("installed");
    expect((await readdir(out)).sort()).toEqual(["imagenet-1000.txt", "model.json", "model.onnx"]);
    expect(sha256(await readFile(join(out, "model.onnx")))).toBe(sha256(model.bytes));
    const manifest = await expectInstalledModelRuns(out);
    expect(manifest.sha256).toBe(sha256(model.bytes));
    expect(manifest.sha256).not.toBe(entry.download.sha256);
  });

  it("rejects an archive without a .onnx file; the previous model stays", async () => {
    await installPreviousModel();
    const entry = testEntry({ format: "tar.gz", path: "vision/tiny/data-only.tar.gz", bytes: dataOnlyArchiveBytes });
    await expect(fetchModel(entry, { outDir: out, baseUrl: `${origin}/good` })).rejects.toThrow(
      "the downloaded archive holds no .onnx file",
    );
    await expectPreviousModelIntact();
  });

  it("refuses a model whose tensor names differ from the catalog manifest", async () => {
    await installPreviousModel();
    const entry = testEntry();
    entry.manifest.input.name = "images";
    const fetching = fetchModel(entry, { outDir: out, baseUrl: `${origin}/good` });
    await expect(fetching).rejects.toBeInstanceOf(ModelFetchError);
    await expect(fetching).rejects.toThrow('input "images" not in model (model inputs: "data")');
    await expectPreviousModelIntact();
  });

  it("prints progress lines when the output is not a terminal", async () => {
    const stream = new PassThrough();
    let printed = "";
    stream.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    const progress = createProgressReporter(stream as unknown as NodeJS.WriteStream);
    await fetchModel(testEntry(), { outDir: out, baseUrl: `${origin}/good`, progress });
    const lines = printed.trim().split("\n");
    expect(lines[0]).toMatch(/^tiny-imagenet: 0% \(0\.0 of \d+\.\d MB\)$/);
    expect(lines.at(-1)).toMatch(/^tiny-imagenet: 100% /);
  });
});

describe("npm run model:fetch (CLI)", () => {
  const run = promisify(execFile);
  const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");

  it("builds the zoo URL from MODEL_ZOO_BASE_URL and exits 1 with the HTTP status; nothing is installed", async () => {
    const entry = catalog.find((e) => e.name === "squeezenet1.1-7")!;
    const failure = await run(tsx, ["scripts/tools/model-fetch/main.ts", entry.name, "--out", out], {
      env: { ...process.env, MODEL_ZOO_BASE_URL: `${origin}/zoo` },
    }).catch((error: { code: number; stderr: string }) => error);
    expect("code" in failure && failure.code).toBe(1);
    expect(failure.stderr).toContain(`HTTP 404 Not Found from ${origin}/zoo/${entry.download.commit}/${entry.download.path}`);
    expect(requests).toEqual([`/zoo/${entry.download.commit}/${entry.download.path}`]);
    expect(await readdir(out)).toEqual([]);
  });
});
