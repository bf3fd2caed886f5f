import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import type { Classifier } from "../handler/classifier.js";
import type { Config } from "../handler/config.js";
import { ClientError } from "../handler/errors.js";
import { Telemetry } from "../handler/telemetry.js";
import { functionUrlEvent, lambdaContext } from "./support/function-url-event.js";
import { postImage, postJson } from "./support/handler-calls.js";
import { capturedWrites, handlerWithTelemetry } from "./support/telemetry-handler.js";
import { testImage } from "./support/test-images.js";

// This suite turns logs and metrics on (vitest.config.ts silences them) and reads what reaches stdout.
let handler: FunctionUrlHandler;
let config: Config;
let classifier: Classifier;
let close: () => Promise<void>;
let image: Buffer;

beforeAll(async () => {
  ({ handler, config, classifier, close } = await handlerWithTelemetry({
    POWERTOOLS_LOG_LEVEL: "INFO",
    POWERTOOLS_SERVICE_NAME: "svc-test",
    POWERTOOLS_METRICS_NAMESPACE: "NsTest",
  }));
  image = await testImage("jpeg", 40, 30, 11);
});

afterAll(async () => {
  await close?.();
});

/** Runs `action` and returns the JSON lines it wrote to `streams` (default: stdout). */
async function stdoutLines(action: () => Promise<unknown>, streams: readonly NodeJS.WriteStream[] = [process.stdout]): Promise<Record<string, any>[]> {
  const written = await capturedWrites(streams, action);
  return written.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

describe("telemetry", () => {
  it("logs one JSON line per request with what happened, never the image, and emits EMF metrics", async () => {
    let requestId = "";
    const lines = await stdoutLines(async () => {
      const result = await postImage(handler, image, "image/jpeg");
      requestId = result.requestId;
    });
    const logs = lines.filter((line) => line.message === "request");
    expect(logs).toHaveLength(1);
    const [log] = logs;
    expect(log).toMatchObject({
      level: "INFO",
      service: "svc-test",
      requestId,
      route: "POST /classify",
      status: 200,
      bytes: image.length,
      images: 1,
      imageSizes: ["40x30"],
      top1: { label: expect.any(String), score: expect.any(Number) },
    });
    for (const field of ["decodeMs", "inferenceMs", "totalMs"]) expect(log![field]).toBeGreaterThanOrEqual(0);
    const output = JSON.stringify(lines);
    expect(output).not.toContain(image.toString("base64").slice(0, 40));

    const emf = lines.find((line) => line._aws && "InferenceLatency" in line);
    expect(emf).toBeDefined();
    expect(emf!._aws.CloudWatchMetrics[0].Namespace).toBe("NsTest");
    expect(emf).toMatchObject({ service: "svc-test", Images: 1, Requests: 1 });
    expect(emf!.PreprocessingLatency).toBe(log!.decodeMs);
    expect(emf!.InferenceLatency).toBe(log!.inferenceMs);
  });

  it("logs the function URL's request id and Lambda's invocation id, each from its own source", async () => {
    const event = functionUrlEvent({ method: "GET", path: "/health" });
    const lines = await stdoutLines(() => handler(event, lambdaContext("invocation-1")));
    const [log] = lines.filter((line) => line.message === "request");
    expect(log).toMatchObject({ requestId: event.requestContext.requestId, invocationId: "invocation-1", route: "GET /health" });

    const notAnEvent = await stdoutLines(() => handler({} as never, lambdaContext("invocation-2")));
    const [fallback] = notAnEvent.filter((line) => line.message === "request");
    expect(fallback).toMatchObject({ requestId: "invocation-2", invocationId: "invocation-2", route: "unmatched", status: 400 });
  });

  it("logs a dependency's failure with its own error as the cause, and answers the client without it", async () => {
    const sdkError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { name: "TimeoutError" });
    const s3Down = createHandler({
      config,
      classifier,
      telemetry: new Telemetry(config),
      resolveSource: () => {
        throw new ClientError("S3_UNAVAILABLE", "S3 could not serve s3://b/k (TimeoutError)", { cause: sdkError });
      },
    });
    let body = "";
    const lines = await stdoutLines(async () => {
      const response = await s3Down(
        functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": "application/json" }, body: '{"s3":{"bucket":"bkt","key":"k"}}' }),
        lambdaContext(),
      );
      body = response.body;
    }, [process.stdout, process.stderr]);
    expect(JSON.parse(body).error).toEqual({ code: "S3_UNAVAILABLE", message: "S3 could not serve s3://b/k (TimeoutError)" });
    expect(body).not.toContain("ECONNREFUSED");
    const fault = lines.find((line) => line.message === "S3_UNAVAILABLE");
    expect(fault?.error).toMatchObject({
      name: "ClientError",
      cause: { name: "TimeoutError", message: "connect ECONNREFUSED 127.0.0.1:9" },
    });
    expect(lines.find((line) => line.message === "request")).toMatchObject({ status: 502, errorCode: "S3_UNAVAILABLE" });
  });

  it("counts errors by code: the request's and each failed image of a batch", async () => {
    const lines = await stdoutLines(async () => {
      await postImage(handler, Buffer.from("hello"), "text/plain");
      await postJson(handler, { images: ["***", "", image.toString("base64"), "%%%"] });
    });
    const logs = lines.filter((line) => line.message === "request");
    expect(logs.map((log) => [log.status, log.errorCode, log.imageErrorCodes])).toEqual([
      [415, "UNSUPPORTED_MEDIA_TYPE", undefined],
      [200, undefined, ["INVALID_BASE64", "EMPTY_IMAGE", "INVALID_BASE64"]],
    ]);
    const errors = lines.filter((line) => "Errors" in line).map((line) => [line.ErrorCode, line.Errors]);
    expect(errors).toEqual([
      ["UNSUPPORTED_MEDIA_TYPE", 1],
      ["INVALID_BASE64", 2],
      ["EMPTY_IMAGE", 1],
    ]);
    const dimensions = lines.find((line) => "Errors" in line)!._aws.CloudWatchMetrics[0].Dimensions;
    expect(dimensions).toEqual([["service", "ErrorCode"]]);
  });

  it("emits the ColdStart metric once, on an on-demand environment's first invocation", async () => {
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
    const onDemand = createHandler({ config, classifier, telemetry: new Telemetry(config), initializationType: "on-demand" });
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    const lines = await stdoutLines(async () => {
      await postImage(onDemand, image, "image/jpeg");
      await postImage(onDemand, image, "image/jpeg");
    });
    const coldStarts = lines.filter((line) => "ColdStart" in line);
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({ ColdStart: 1, service: "svc-test" });
    expect(lines.filter((line) => line.message === "request").map((log) => log.coldStart)).toEqual([true, false]);
  });
});
