import { afterEach, describe, expect, it } from "vitest";
import { EnvironmentInitError } from "../scripts/shared/lambda-emulator/function-environment.js";
import { matchRoute } from "../scripts/shared/lambda-emulator/runtime-api/routes.js";
import {
  type LaunchedRuntime,
  RuntimeApiEnvironment,
} from "../scripts/shared/lambda-emulator/runtime-api/runtime-api-environment.js";
import { RuntimeApiServer } from "../scripts/shared/lambda-emulator/runtime-api/runtime-api-server.js";
import { type LocalFunctionUrl, startLocalFunctionUrl } from "../scripts/shared/lambda-emulator/server.js";
import { lambdaLimits } from "../scripts/shared/lambda-emulator/limits.js";

const base = (api: string) => `http://${api}/2018-06-01/runtime`;

/**
 * A tiny runtime client speaking the Runtime API the way AWS's does: `next`, then the handler's answer by the event's
 * rawPath: /fault → invocation/error, /sleep → never answers, /crash → the runtime ends, else a response echoing the
 * `next` headers. With `initError` it posts init/error and ends instead.
 */
function fakeRuntime(api: string, behaviour: { initError?: boolean } = {}): LaunchedRuntime & { killed: boolean } {
  const stop = new AbortController();
  let end!: (how: string) => void;
  const exited = new Promise<string>((resolve) => (end = resolve));
  const runtime = {
    killed: false,
    exited,
    kill: async () => {
      runtime.killed = true;
      stop.abort();
      end("killed");
      await exited;
    },
    maxMemoryUsedMB: async () => 42,
  };
  const loop = async () => {
    if (behaviour.initError) {
      await fetch(`${base(api)}/init/error`, {
        method: "POST",
        headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.ModelLoadError" },
        body: JSON.stringify({ errorMessage: "model folder is empty", errorType: "Error", stackTrace: [] }),
      });
      return end("exit code 1");
    }
    for (;;) {
      const next = await fetch(`${base(api)}/invocation/next`, { signal: stop.signal });
      const requestId = next.headers.get("lambda-runtime-aws-request-id")!;
      const event = (await next.json()) as { rawPath: string };
      if (event.rawPath === "/crash") return end("exit code 129");
      if (event.rawPath === "/sleep") continue;
      if (event.rawPath === "/fault") {
        await fetch(`${base(api)}/invocation/${requestId}/error`, {
          method: "POST",
          body: JSON.stringify({ errorMessage: "boom", errorType: "TypeError", trace: ["TypeError: boom"] }),
          signal: stop.signal,
        });
        continue;
      }
      const seen = Object.fromEntries([...next.headers].filter(([name]) => name.startsWith("lambda-runtime-")));
      const result = { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ seen, event }) };
      await fetch(`${base(api)}/invocation/${requestId}/response`, { method: "POST", body: JSON.stringify(result), signal: stop.signal });
    }
  };
  loop().catch(() => end("aborted"));
  return runtime;
}

describe("Runtime API routes", () => {
  it("names AWS's four paths and nothing else", () => {
    expect(matchRoute("/2018-06-01/runtime/invocation/next")).toEqual({ kind: "next" });
    expect(matchRoute("/2018-06-01/runtime/invocation/a%2Fb/response")).toEqual({ kind: "response", requestId: "a/b" });
    expect(matchRoute("/2018-06-01/runtime/invocation/x/error")).toEqual({ kind: "invocation-error", requestId: "x" });
    expect(matchRoute("/2018-06-01/runtime/init/error")).toEqual({ kind: "init-error" });
    expect(matchRoute("/2018-06-01/runtime/invocation/x/other")).toBeUndefined();
    expect(matchRoute("/2019-01-01/runtime/invocation/next")).toBeUndefined();
  });
});

describe("Runtime API server", () => {
  let api: RuntimeApiServer;
  afterEach(() => api?.close());

  const invocation = (requestId: string) => ({
    requestId,
    eventPayload: JSON.stringify({ hello: requestId }),
    deadlineMs: Date.now() + 3_000,
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
    traceId: "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
    clientContext: '{"client":{}}',
    cognitoIdentity: '{"cognitoIdentityId":"id"}',
  });

  it("long-polls next until an invocation arrives, with the documented headers and the event as body", async () => {
    api = await RuntimeApiServer.start();
    const next = fetch(`${base(api.address)}/invocation/next`);
    await expect(api.initialized).resolves.toMatchObject({ kind: "ready" });
    const result = api.dispatch(invocation("req-1"));
    const answer = await next;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("lambda-runtime-aws-request-id")).toBe("req-1");
    expect(Number(answer.headers.get("lambda-runtime-deadline-ms"))).toBeGreaterThan(Date.now());
    expect(answer.headers.get("lambda-runtime-invoked-function-arn")).toBe("arn:aws:lambda:us-east-1:000000000000:function:f");
    expect(answer.headers.get("lambda-runtime-trace-id")).toMatch(/^Root=1-/);
    expect(answer.headers.get("lambda-runtime-client-context")).toBe('{"client":{}}');
    expect(answer.headers.get("lambda-runtime-cognito-identity")).toBe('{"cognitoIdentityId":"id"}');
    expect(await answer.json()).toEqual({ hello: "req-1" });

    const posted = await fetch(`${base(api.address)}/invocation/req-1/response`, { method: "POST", body: '{"ok":true}' });
    expect(posted.status).toBe(202);
    await expect(result).resolves.toEqual({ kind: "response", payload: '{"ok":true}' });
  });

  it("answers 4xx as AWS does: unknown request id, an ended invocation, unknown path, wrong method, late init error", async () => {
    api = await RuntimeApiServer.start();
    const next = fetch(`${base(api.address)}/invocation/next`);
    const result = api.dispatch(invocation("req-2"));
    await next;
    const unknown = await fetch(`${base(api.address)}/invocation/nobody/response`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ errorMessage: "Invalid request ID", errorType: "InvalidRequestID" });

    await fetch(`${base(api.address)}/invocation/req-2/error`, {
      method: "POST",
      headers: { "Lambda-Runtime-Function-Error-Type": "Handled.Fault" },
      body: JSON.stringify({ errorMessage: "bad", errorType: "Error", stackTrace: ["at x"] }),
    });
    await expect(result).resolves.toEqual({
      kind: "error",
      error: { errorType: "Handled.Fault", errorMessage: "bad", stackTrace: ["at x"] },
    });
    const again = await fetch(`${base(api.address)}/invocation/req-2/response`, { method: "POST", body: "{}" });
    expect(again.status).toBe(403);
    expect(((await again.json()) as { errorType: string }).errorType).toBe("InvalidStateTransition");

    expect((await fetch(`${base(api.address)}/invocation/req-2/other`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`http://${api.address}/`)).status).toBe(404);
    expect((await fetch(`${base(api.address)}/invocation/next`, { method: "POST" })).status).toBe(405);
    const lateInitError = await fetch(`${base(api.address)}/init/error`, { method: "POST", body: "{}" });
    expect(lateInitError.status).toBe(403);
  });

  it("refuses a response over 6 MB with 413 and ends the invocation as Function.ResponseSizeTooLarge", async () => {
    api = await RuntimeApiServer.start();
    const next = fetch(`${base(api.address)}/invocation/next`);
    const result = api.dispatch(invocation("req-3"));
    await next;
    const posted = await fetch(`${base(api.address)}/invocation/req-3/response`, {
      method: "POST",
      body: "x".repeat(lambdaLimits.responsePayloadBytes + 1),
    });
    expect(posted.status).toBe(413);
    expect(((await posted.json()) as { errorType: string }).errorType).toBe("RequestEntityTooLarge");
    await expect(result).resolves.toMatchObject({ kind: "error", error: { errorType: "Function.ResponseSizeTooLarge" } });
  });

  it("ends init with the runtime's init/error, its error type from the header", async () => {
    api = await RuntimeApiServer.start();
    const posted = await fetch(`${base(api.address)}/init/error`, {
      method: "POST",
      headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError" },
      body: JSON.stringify({ errorMessage: "cannot find module", errorType: "Error", stackTrace: [] }),
    });
    expect(posted.status).toBe(202);
    await expect(api.initialized).resolves.toEqual({
      kind: "init-error",
      error: { errorType: "Runtime.ImportModuleError", errorMessage: "cannot find module", stackTrace: [] },
    });
  });
});

describe("Runtime API environment", () => {
  it("rejects start with the init error's type and stops the runtime", async () => {
    let runtime: ReturnType<typeof fakeRuntime> | undefined;
    const started = RuntimeApiEnvironment.start({
      launch: (api) => (runtime = fakeRuntime(api, { initError: true })),
      invokedFunctionArn: "arn",
      initTimeoutMs: 5_000,
    });
    await expect(started).rejects.toThrow(EnvironmentInitError);
    await expect(started).rejects.toMatchObject({ errorType: "Runtime.ModelLoadError", message: "Runtime.ModelLoadError: model folder is empty" });
    expect(runtime?.killed).toBe(true);
  });
});

describe("local function URL over the Runtime API (fake runtime client)", () => {
  let functionUrl: LocalFunctionUrl | undefined;
  afterEach(async () => {
    await functionUrl?.close();
    functionUrl = undefined;
  });

  async function start(behaviour: { initError?: boolean } = {}, timeoutSeconds = 30, initUpFront = true) {
    const lines: string[] = [];
    const launched: Array<ReturnType<typeof fakeRuntime>> = [];
    functionUrl = await startLocalFunctionUrl({
      handlerModule: "unused",
      port: 0,
      timeoutSeconds,
      env: {},
      initUpFront,
      log: (line) => lines.push(line),
      environmentFactory: () => () =>
        RuntimeApiEnvironment.start({
          launch: (api) => {
            const runtime = fakeRuntime(api, behaviour);
            launched.push(runtime);
            return runtime;
          },
          invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:image-classifier",
          initTimeoutMs: 5_000,
        }),
    });
    const reports = () => lines.filter((line) => line.startsWith("REPORT"));
    return { url: functionUrl.url, lines, reports, launched };
  }

  it("hands the runtime the invocation with its headers and answers with the runtime's response; REPORT lines as npm start", async () => {
    const { url, reports } = await start();
    const before = Date.now();
    const answer = await fetch(`${url}/echo?x=1`);
    expect(answer.status).toBe(200);
    const { seen, event } = (await answer.json()) as { seen: Record<string, string>; event: { rawPath: string; rawQueryString: string } };
    expect(seen["lambda-runtime-aws-request-id"]).toBe(answer.headers.get("x-amzn-requestid"));
    const deadline = Number(seen["lambda-runtime-deadline-ms"]);
    expect(deadline).toBeGreaterThanOrEqual(before + 30_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(seen["lambda-runtime-invoked-function-arn"]).toBe("arn:aws:lambda:us-east-1:000000000000:function:image-classifier");
    expect(seen["lambda-runtime-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(seen["lambda-runtime-client-context"]).toBeUndefined();
    expect(event).toMatchObject({ rawPath: "/echo", rawQueryString: "x=1" });

    await fetch(`${url}/echo`);
    const [first, second] = reports();
    expect(first).toMatch(/^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 2048 MB\tMax Memory Used: 42 MB\tInit Duration: \d+\.\d\d ms$/);
    expect(second).not.toContain("Init Duration");
  });

  it("answers 502 when the runtime posts an invocation error, and keeps the environment", async () => {
    const { url, reports, launched } = await start();
    const answer = await fetch(`${url}/fault`);
    expect(answer.status).toBe(502);
    expect(await answer.text()).toBe("Internal Server Error");
    expect((await fetch(`${url}/echo`)).status).toBe(200);
    expect(launched).toHaveLength(1);
    expect(reports()[0]).not.toContain("Status:");
  });

  it("answers 502 when init fails through init/error, with the error type in the REPORT line", async () => {
    const { url, lines, reports } = await start({ initError: true }, 30, false);
    const answer = await fetch(`${url}/echo`);
    expect(answer.status).toBe(502);
    const requestId = answer.headers.get("x-amzn-requestid");
    expect(lines).toContain(`${requestId} Runtime.ModelLoadError: model folder is empty`);
    expect(reports()[0]).toMatch(/^REPORT RequestId: .*\tStatus: error\tError Type: Runtime\.ModelLoadError$/);
  });

  it("stops a runtime past its timeout (Status: timeout) and starts a new one for the next request (cold start)", async () => {
    const { url, reports, launched, lines } = await start({}, 1);
    const timedOut = await fetch(`${url}/sleep`);
    expect(timedOut.status).toBe(502);
    expect(launched[0]!.killed).toBe(true);
    expect(lines.some((line) => line.includes("Task timed out after 1.00 seconds"))).toBe(true);
    expect((await fetch(`${url}/echo`)).status).toBe(200);
    expect(launched).toHaveLength(2);
    const [first, second] = reports();
    expect(first).toMatch(/\tStatus: timeout$/);
    expect(second).toContain("Init Duration");
  });

  it("reports a runtime that ends mid-invocation as Runtime.ExitError; the next request is a cold start", async () => {
    const { url, reports, launched } = await start();
    expect((await fetch(`${url}/crash`)).status).toBe(502);
    expect((await fetch(`${url}/echo`)).status).toBe(200);
    expect(launched).toHaveLength(2);
    const [first, second] = reports();
    expect(first).toMatch(/\tStatus: error\tError Type: Runtime\.ExitError$/);
    expect(second).toContain("Init Duration");
  });
});
