import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { type Manifest, type ModelInput, parseManifestFile } from "../handler/manifest.js";
import { exactResizes, resizeConventions } from "../handler/resize/conventions.js";
import { inputsByConvention, targetExactConvention } from "../scripts/tools/bench/convention-inputs.js";
import type { ConventionsResult } from "../scripts/tools/bench/phases/conventions.js";
import { renderReport } from "../scripts/tools/bench/report.js";
import { type BenchResults, evaluateTargets } from "../scripts/tools/bench/results.js";
import { peerConfig, peerModelBytes, peerPreprocessorConfig } from "../scripts/tools/bench/peer-model.js";
import { attr, OnnxGraphBuilder } from "../scripts/build-time/onnx/graph-builder.js";
import { mulberry32 } from "../scripts/shared/prng.js";
import { median, percentile, summarize } from "../scripts/shared/stats.js";
import { seededBytes } from "./support/crafted-images.js";
import { containerStartLine } from "../scripts/tools/bench/container-start.js";
import { emptyBenchResults } from "./support/bench-results.js";
import { cpuList, type ServerEntryRun, type ServerTarget } from "../scripts/tools/bench/phases/server-entry.js";

const H = 2;
const W = 3;

/** NHWC [N, 2, 3, 3] × position- and channel-dependent weights, summed over H and W → "scores" [N, 3]. */
function nhwcModel(): Uint8Array {
  const b = new OnnxGraphBuilder("nhwc-weighted-sum");
  const x = b.input("input", ["N", H, W, 3]);
  const weights = Float32Array.from({ length: H * W * 3 }, (_, i) => (i + 1) * (i % 2 ? -0.5 : 1));
  const w = b.initializer("weights", weights, [1, H, W, 3]);
  const [product] = b.node("Mul", [x, w]);
  b.node("ReduceSum", [product!, b.initializer("axes", BigInt64Array.from([1n, 2n]), [2])], ["scores"], { keepdims: attr.int(0) });
  b.output("scores", ["N", 3]);
  return b.toBytes({ opset: 13 });
}

const manifest = {
  name: "test",
  version: "1",
  file: "model.onnx",
  sha256: "0".repeat(64),
  input: {
    name: "input",
    layout: "NHWC",
    width: W,
    height: H,
    colorOrder: "RGB",
    resize: { mode: "fill", kernel: "linear" },
    scale: 1 / 255,
    mean: [0.1, 0.2, 0.3],
    std: [1, 2, 3],
  },
  output: { name: "scores", kind: "logits" },
  labels: ["a", "b", "c"],
} as unknown as Manifest;

describe("peer model for transformers.js", () => {
  it("takes NCHW pixel_values, answers logits, and computes what the NHWC original computes", async () => {
    const original = await ort.InferenceSession.create(nhwcModel());
    const peer = await ort.InferenceSession.create(peerModelBytes(nhwcModel(), manifest));
    expect(peer.inputNames).toEqual(["pixel_values"]);
    expect(peer.outputNames).toEqual(["logits"]);

    const batch = 2;
    const nhwc = Float32Array.from({ length: batch * H * W * 3 }, (_, i) => Math.sin(i * 1.7) * 10);
    const nchw = new Float32Array(nhwc.length);
    for (let n = 0; n < batch; n++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++)
          for (let c = 0; c < 3; c++) nchw[((n * 3 + c) * H + y) * W + x] = nhwc[((n * H + y) * W + x) * 3 + c]!;

    const expected = (await original.run({ input: new ort.Tensor("float32", nhwc, [batch, H, W, 3]) })).scores!.data as Float32Array;
    const actual = (await peer.run({ pixel_values: new ort.Tensor("float32", nchw, [batch, 3, H, W]) })).logits!.data as Float32Array;
    expect(actual.length).toBe(batch * 3);
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
    // Feeding the NHWC layout's bytes as if they were NCHW must give different scores (the transpose matters).
    const wrong = (await peer.run({ pixel_values: new ort.Tensor("float32", nhwc, [batch, 3, H, W]) })).logits!.data as Float32Array;
    expect([...wrong].some((value, i) => Math.abs(value - expected[i]!) > 1e-3)).toBe(true);
    await original.release();
    await peer.release();
  });

  it("config.json maps ids to the manifest's labels", () => {
    const config = peerConfig(manifest) as { id2label: Record<string, string>; label2id: Record<string, number>; model_type: string };
    expect(config.id2label).toEqual({ "0": "a", "1": "b", "2": "c" });
    expect(config.label2id).toEqual({ a: 0, b: 1, c: 2 });
    expect(config.model_type).toBe("mobilenet_v2");
  });

  it("preprocessor_config.json resizes to the input size without a crop and normalises as the manifest says", () => {
    const pre = peerPreprocessorConfig(manifest) as Record<string, unknown>;
    expect(pre.size).toEqual({ height: H, width: W });
    expect(pre.do_center_crop).toBe(false);
    expect(pre.rescale_factor).toBe(1 / 255);
    expect(pre.image_mean).toEqual([0.1, 0.2, 0.3]);
    expect(pre.image_std).toEqual([1, 2, 3]);
    expect(pre.resample).toBe(2);
  });
});

describe("bench: container start → ready", () => {
  it("reports the median beside the runs, or says why it was not measured and how to get it", () => {
    expect(containerStartLine({ ref: "localhost/image-classifier:local-x64", runs: [900, 1100, 1000], medianMs: 1000 })).toMatch(
      /^Container start → ready \(`podman run` of localhost\/image-classifier:local-x64 .*median 1000 ms of 3 \(900, 1100, 1000 ms\)\.$/,
    );
    expect(containerStartLine({ ref: "x", unavailable: "no image x: run npm run image:build -- --local" })).toBe(
      "Container start → ready: not measured — no image x: run npm run image:build -- --local.",
    );
  });
});

describe("bench statistics", () => {
  it("nearest-rank percentiles", () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 95)).toBe(10);
    expect(percentile(sorted, 10)).toBe(1);
    const summary = summarize([10, 1, 5, 3]);
    expect(summary).toMatchObject({ n: 4, p50: 3, min: 1, mean: 4.75 });
  });

  it("median: the middle sample, or the mean of the middle two; NaN samples left out", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(median([Number.NaN, 2, 8, Number.NaN])).toBe(5);
    expect(median([Number.NaN])).toBeNaN();
    expect(median([])).toBeNaN();
  });
});

describe("seeded pseudo-random numbers (mulberry32)", () => {
  it("gives the same sequence for a seed, in [0, 1), and the bytes the test corpus was written with", () => {
    const [a, b] = [mulberry32(42), mulberry32(42)];
    const sequence = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(sequence);
    expect(sequence.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(sequence).size).toBe(1000);
    expect(mulberry32(43)()).not.toBe(sequence[0]);
    // seededBytes before it used mulberry32 from scripts/shared gave exactly these.
    expect(seededBytes(16, 7).toString("hex")).toBe("020ffab28567773d8dba4227c384325e");
    expect(seededBytes(8, 61).toString("hex")).toBe("8cb5e1bb0b33926b");
  });
});

describe("bench: resize conventions", () => {
  const input = parseManifestFile({
    name: "t",
    version: "1",
    source: {},
    file: "model.onnx",
    sha256: "0".repeat(64),
    input: { name: "x", layout: "NHWC", width: 4, height: 4, resize: { mode: "cover", shorterSide: 6, kernel: "lanczos3" }, scale: 1 },
    output: { name: "y", kind: "logits" },
    labels: ["a"],
  }).input;

  it("measures every convention handler/resize/conventions.ts knows, keeping the geometry; libvips keeps its kernel", () => {
    const variants = inputsByConvention(input);
    expect(variants.map((v) => v.convention)).toEqual([...resizeConventions]);
    expect(variants.map((v) => v.convention)).toEqual(["libvips", ...Object.keys(exactResizes)]);
    for (const { convention, input: variant } of variants) {
      expect(variant.resize).toEqual(
        convention === "libvips"
          ? { mode: "cover", shorterSide: 6, convention, kernel: "lanczos3" }
          : { mode: "cover", shorterSide: 6, convention },
      );
      expect({ ...variant, resize: undefined }).toEqual({ ...input, resize: undefined });
    }
    // An exact manifest's libvips copy gets the default kernel; the target is measured with the manifest's convention.
    const exact = { ...input, resize: { mode: "fill", convention: "tensorflow-nearest" } } as ModelInput;
    expect(inputsByConvention(exact)[0]!.input.resize).toEqual({ mode: "fill", convention: "libvips", kernel: "linear" });
    expect(targetExactConvention(exact)).toBe("tensorflow-nearest");
    expect(targetExactConvention(input)).toBe("tensorflow-bilinear-align-corners");
  });

  const summary = (p50: number) => ({ n: 10, p50, p95: p50, p99: p50, min: p50, mean: p50 });
  const conventions = (exactMs: number): ConventionsResult => ({
    manifestConvention: "tensorflow-bilinear-align-corners",
    targetConvention: "tensorflow-bilinear-align-corners",
    conventions: ["libvips", "tensorflow-bilinear-align-corners"],
    callsPerTurn: 2,
    images: [
      {
        id: "jpeg-640x480",
        byConvention: {
          libvips: { decodeResize: summary(2), endToEnd: summary(12) },
          "tensorflow-bilinear-align-corners": { decodeResize: summary(exactMs - 10), endToEnd: summary(exactMs) },
        },
        floor: { decode: summary(3), endToEnd: summary(13) },
      },
    ],
  });
  const results = (c: ConventionsResult) =>
    ({
      ...emptyBenchResults,
      conventions: c,
    }) satisfies Omit<BenchResults, "targets">;

  it("the exact-path target: the manifest convention's end to end against full decode + session.run, goal 1.2×", () => {
    const met = evaluateTargets(results(conventions(15.5))).find((t) => t.name.includes("exact path"));
    expect(met).toMatchObject({ met: true, goal: "≤ 1.2 × (bare full decode + bare session.run)" });
    expect(met?.measured).toContain("→ 1.19×");
    const missed = evaluateTargets(results(conventions(16.9))).find((t) => t.name.includes("exact path"));
    expect(missed).toMatchObject({ met: false, gap: "1.30× instead of ≤ 1.2× (1.30 ms over)" });
  });

  it("the report has a column per convention, the floor, and the exact / floor ratio", () => {
    const c = conventions(15.5);
    const report = renderReport({ ...results(c), targets: evaluateTargets(results(c)) });
    expect(report).toContain("## Resize conventions");
    expect(report).toContain("| decode + resize | libvips (fast) | tensorflow-bilinear-align-corners ★ | floor: full decode |");
    expect(report).toContain("| jpeg-640x480 | 2.00 | 5.50 | 3.00 |");
    expect(report).toContain("| jpeg-640x480 | 12.00 | 15.50 | 13.00 | 1.19× |");
  });
});

describe("bench: the production HTTP entry against npm start", () => {
  const run = (target: ServerTarget, vcpus: number, requestsPerSecond: number): ServerEntryRun => ({
    target,
    vcpus,
    connections: 2 * vcpus,
    durationS: 10,
    requests: requestsPerSecond * 10,
    requestsPerSecond,
    latencyMs: { p50: 20, p90: 30, p99: 45, max: 60 },
    errors: 0,
    non2xx: 0,
  });

  it("pins each server to the first N CPUs", () => {
    expect(cpuList(1)).toBe("0");
    expect(cpuList(2)).toBe("0-1");
  });

  it("the report has a row per target and vCPU count, and server.mjs's throughput over npm start's", () => {
    const results = {
      ...emptyBenchResults,
      serverEntry: { image: "jpeg-640x480", runs: [run("server.mjs", 1, 40), run("npm start", 1, 32), run("server.mjs", 2, 70), run("npm start", 2, 56)] },
      targets: [],
    } satisfies BenchResults;
    const report = renderReport(results);
    expect(report).toContain("## Production HTTP entry (server.mjs) against npm start");
    expect(report).toContain("| server.mjs | 1 | 400 | 40.0 | 20 | 30 | 45 | 60 | 0 | 1.25× |");
    expect(report).toContain("| npm start | 2 | 560 | 56.0 | 20 | 30 | 45 | 60 | 0 |  |");
    expect(report).toContain("| server.mjs | 2 | 700 | 70.0 | 20 | 30 | 45 | 60 | 0 | 1.25× |");
  });
});
