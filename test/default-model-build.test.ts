import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile, appendFile, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDefaultModel } from "../scripts/build-time/default-model/build-default.js";
import { ensureDefaultModel } from "../scripts/build-time/default-model/ensure-default.js";
import { defaultModelDir } from "../scripts/build-time/default-model/model-dir.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const readManifest = async (dir: string) => JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as Record<string, unknown>;

describe("default model build", () => {
  let root: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "default-model-"));
    [first, second] = [join(root, "first"), join(root, "second")];
    await buildDefaultModel(first);
    await buildDefaultModel(second);
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("is byte-identical when built twice, and model.json holds the file's sha256", async () => {
    const [a, b] = await Promise.all([readFile(join(first, "model.onnx")), readFile(join(second, "model.onnx"))]);
    expect(a.byteLength).toBeGreaterThan(1_000_000);
    expect(Buffer.compare(a, b)).toBe(0);
    expect(await readFile(join(first, "model.json"), "utf8")).toBe(await readFile(join(second, "model.json"), "utf8"));
    expect((await readManifest(first)).sha256).toBe(sha256(a));
  });

  it("matches the repository's model/model.json and model/model.onnx", async () => {
    const built = await readFile(join(first, "model.onnx"));
    const repoManifest = await readManifest(defaultModelDir());
    expect(repoManifest).toEqual(await readManifest(first));
    expect(sha256(await readFile(join(defaultModelDir(), "model.onnx")))).toBe(repoManifest.sha256);
    expect(repoManifest.sha256).toBe(sha256(built));
  });

  it("writes the manifest contract for the default model", async () => {
    const manifest = await readManifest(first);
    expect(manifest).toMatchObject({
      name: "nsfwjs-mobilenet-v2",
      source: { package: "nsfwjs@4.3.0", path: "dist/models/mobilenet_v2", license: "MIT" },
      file: "model.onnx",
      input: { name: "input", layout: "NHWC", width: 224, height: 224, colorOrder: "RGB", scale: 1 / 255 },
      output: { name: "logits", kind: "logits" },
      labels: ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"],
    });
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("ensureDefaultModel", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ensure-model-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("builds when model.onnx is missing, then does nothing while it matches", async () => {
    const built = await ensureDefaultModel(dir);
    expect(built).toMatchObject({ action: "built", reason: "model.onnx is missing" });
    const again = await ensureDefaultModel(dir);
    expect(again).toEqual({ action: "up-to-date", sha256: (await readManifest(dir)).sha256 });
  }, 60_000);

  it("rebuilds when the file's sha256 does not match the default manifest", async () => {
    await ensureDefaultModel(dir); // an intact default model to damage, whether or not the test above ran
    const expected = (await readManifest(dir)).sha256;
    await appendFile(join(dir, "model.onnx"), "x");
    const outcome = await ensureDefaultModel(dir);
    expect(outcome).toMatchObject({ action: "built", sha256: expected });
    expect(outcome.action === "built" && outcome.reason).toContain("does not match");
    expect(sha256(await readFile(join(dir, "model.onnx")))).toBe(expected);
  }, 60_000);

  it("leaves a folder alone when its manifest describes another model", async () => {
    const other = await mkdtemp(join(dir, "other-"));
    const foreign = { name: "my-resnet", file: "model.onnx", sha256: "0".repeat(64) };
    await writeFile(join(other, "model.json"), JSON.stringify(foreign));
    await writeFile(join(other, "model.onnx"), "not the default model");
    expect(await ensureDefaultModel(other)).toMatchObject({ action: "left-alone" });
    expect(await readFile(join(other, "model.onnx"), "utf8")).toBe("not the default model");
    await unlink(join(other, "model.onnx"));
    expect(await ensureDefaultModel(other)).toMatchObject({ action: "left-alone" });
    expect(JSON.parse(await readFile(join(other, "model.json"), "utf8"))).toEqual(foreign);
  });
});
