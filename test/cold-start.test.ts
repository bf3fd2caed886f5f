import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildLambda, projectDir } from "../scripts/build-time/bundle/build-lambda.js";
import { type ColdStartRun, measureColdStart, medianRun, phasesFromProbe } from "../scripts/shared/cold-start.js";

const probeLine = (fields: Record<string, unknown>) =>
  `COLDSTART ${JSON.stringify({
    t0: 30,
    tOnnxruntime: 80,
    tSharp: 100,
    tReady: 600,
    cpuMs: 900,
    rssMB: 200,
    marks: { createStart: 250, createEnd: 400, firstRunStart: 450, firstRunEnd: 500 },
    referenceSessionMs: null,
    ...fields,
  })}`;
const initialised = JSON.stringify({ level: "INFO", message: "initialised", initMs: 400, sessionMs: 150, threads: 2 });

describe("cold-start probe output", () => {
  it("splits process start → ready into Node, each native module, the handler's code and its init (from its initialised log)", () => {
    const run = phasesFromProbe(["some output", initialised, probeLine({}), ""].join("\n"));
    expect(run).toEqual({
      nodeBootstrapMs: 30,
      onnxruntimeMs: 50,
      sharpMs: 20,
      handlerCodeMs: 100,
      moduleImportMs: 170,
      initMs: 400,
      beforeSessionMs: 50,
      sessionCreateMs: 150,
      warmupMs: 200,
      firstRunMs: 50,
      totalMs: 600,
      cpuMs: 900,
      rssAfterInitMB: 200,
      referenceSessionMs: Number.NaN,
      handlerPhases: { sessionMs: 150 },
    } satisfies ColdStartRun);
  });

  it("leaves what it did not see as NaN, and fails with the output when the probe printed nothing", () => {
    const run = phasesFromProbe(probeLine({ marks: {}, referenceSessionMs: 12 }));
    expect(run.initMs).toBeNaN();
    expect(run.sessionCreateMs).toBeNaN();
    expect(run.referenceSessionMs).toBe(12);
    expect(run.totalMs).toBe(600);
    expect(() => phasesFromProbe("boom")).toThrow(/printed no result:\nboom/);
  });

  it("takes each phase's median over the runs, leaving NaN out, rounded to 0.1", () => {
    const runs = [100, 101, 104, Number.NaN].map((ms, i) => ({
      ...phasesFromProbe([initialised, probeLine({})].join("\n")),
      sessionCreateMs: ms,
      handlerPhases: i === 0 ? {} : ({ sessionMs: i } as Record<string, number>),
    }));
    const median = medianRun(runs);
    expect(median.sessionCreateMs).toBe(101);
    expect(median.totalMs).toBe(600);
    expect(median.referenceSessionMs).toBeNaN();
    expect(median.handlerPhases).toEqual({ sessionMs: 2 });
    expect(medianRun(runs.slice(0, 2)).sessionCreateMs).toBe(100.5);
  });
});

describe("measureColdStart in fresh processes", () => {
  let outDir: string | undefined;
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  /** The phases add up to the total and each is seen, whatever the machine's speed (no timing bounds). */
  function expectConsistent(run: ColdStartRun) {
    for (const [phase, value] of Object.entries(run)) {
      if (phase !== "handlerPhases" && phase !== "referenceSessionMs") expect(value, phase).toBeGreaterThanOrEqual(0);
    }
    expect(run.onnxruntimeMs + run.sharpMs + run.handlerCodeMs).toBeCloseTo(run.moduleImportMs, 6);
    expect(run.nodeBootstrapMs + run.moduleImportMs + run.initMs).toBeCloseTo(run.totalMs, 6);
    expect(run.beforeSessionMs + run.sessionCreateMs + run.warmupMs).toBeCloseTo(run.initMs, 6);
    expect(run.firstRunMs).toBeLessThanOrEqual(run.warmupMs);
  }

  it("from source: the probe sees the handler's session, its first run and its init log", async () => {
    const result = await measureColdStart({ mode: "source", directory: projectDir, runs: 1, threads: 1 });
    expect(result.where).toBe(join(projectDir, "handler", "index.ts"));
    expect(result.note).toBeUndefined();
    expect(result.runs).toHaveLength(1);
    expectConsistent(result.runs[0]!);
    expect(result.runs[0]!.referenceSessionMs).toBeNaN();
  });

  it("from a built task root, with Node flags and the reference session", async () => {
    outDir = await mkdtemp(join(tmpdir(), "cold-start-"));
    await buildLambda({ arch: "x64", outDir });
    const result = await measureColdStart({ mode: "bundle", directory: outDir, runs: 1, nodeArgs: ["--max-old-space-size=512"], referenceSession: true });
    expect(result.where).toBe(join(outDir, "index.mjs"));
    expect(result.note).toBeUndefined();
    expectConsistent(result.runs[0]!);
    expect(result.runs[0]!.referenceSessionMs).toBeGreaterThan(0);
    await expect(measureColdStart({ mode: "bundle", directory: outDir, runs: 1, nodeArgs: ["--no-such-flag"] })).rejects.toThrow(
      /probe process failed:[\s\S]*--no-such-flag/,
    );
  });
});
