import { describe, expect, it } from "vitest";
import { callHandler, postImage } from "./support/handler-calls.js";
import { lambdaContext } from "./support/function-url-event.js";
import { testImage } from "./support/test-images.js";

// The real entry point, as Lambda loads it: config from the environment, model loaded and warmed up at import.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "provisioned-concurrency";
process.env.ORT_INTRA_OP_THREADS = "1";
delete process.env.MODEL_DIR;
const { handler } = await import("../handler/index.js");

describe("handler/index.ts", () => {
  it("is the cold start on its first invocation only, and reports the initialisation type", async () => {
    const first = await callHandler(handler, { method: "GET", path: "/health" });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: "ok", coldStart: true, initializationType: "provisioned-concurrency" });
    const second = await callHandler(handler, { method: "GET", path: "/health" });
    expect(second.json.coldStart).toBe(false);
  });

  it("classifies with the default model from model/ next to the code", async () => {
    const model = await callHandler(handler, { method: "GET", path: "/model" });
    const result = await postImage(handler, await testImage("jpeg", 40, 30, 5), "image/jpeg");
    expect(result.status).toBe(200);
    expect(result.json.model).toEqual({ name: model.json.name, version: model.json.version });
    expect(result.json.predictions).toHaveLength(Math.min(5, model.json.labels.length));
  });

  it("answers a direct invocation by its shape, and throws for an event of no known shape", async () => {
    const image = (await testImage("png", 40, 30, 2)).toString("base64");
    const answer = await handler({ images: [image], topK: 2 }, lambdaContext());
    expect(answer).toMatchObject({ results: [{ predictions: [expect.anything(), expect.anything()] }] });
    await expect(handler({ Records: [{ eventSource: "aws:sqs" }] }, lambdaContext())).rejects.toThrow(/unrecognised event with keys "Records"/);
    // S3_INPUT_ALLOWLIST is empty here: every object of a batch is refused on its own.
    await expect(handler({ BatchInput: { bucket: "photos" }, Items: [{ Key: "a.jpg" }] }, lambdaContext())).resolves.toMatchObject({
      results: [{ bucket: "photos", key: "a.jpg", error: { code: "S3_ACCESS_DENIED" } }],
    });
  });
});
