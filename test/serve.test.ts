import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunctionUrlEvent } from "../handler/http/event.js";
import { bindWarning, hostPolicy } from "../scripts/shared/lambda-emulator/host-check.js";
import type { DrainBounds } from "../handler/http/lingering-close.js";
import { defaultLocalImageRef, parseServeOptions } from "../scripts/shared/lambda-emulator/options.js";
import { spareConnections, startLocalFunctionUrl } from "../scripts/shared/lambda-emulator/server.js";
import { announcedFunctionUrl, spawnScript } from "./support/processes.js";
import { rawRequest } from "./support/raw-http.js";
import { rawUpload } from "./support/raw-upload.js";

const echoHandler = fileURLToPath(new URL("./support/echo-handler.ts", import.meta.url));
const realHandler = fileURLToPath(new URL("../handler/index.ts", import.meta.url));

const reportPattern =
  /^REPORT RequestId: ([0-9a-f-]{36})\tDuration: (\d+\.\d{2}) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: (\d+\.\d{2}) ms)?(?:\tStatus: (\w+))?(?:\tError Type: ([\w.]+))?$/;

interface ParsedReport {
  requestId: string;
  durationMs: number;
  billedMs: number;
  memorySizeMB: number;
  maxMemoryUsedMB: number;
  initDurationMs?: number;
  status?: string;
  errorType?: string;
}

function parseReport(line: string): ParsedReport {
  const match = reportPattern.exec(line);
  if (!match) throw new Error(`not a REPORT line: ${JSON.stringify(line)}`);
  return {
    requestId: match[1]!,
    durationMs: Number(match[2]),
    billedMs: Number(match[3]),
    memorySizeMB: Number(match[4]),
    maxMemoryUsedMB: Number(match[5]),
    ...(match[6] ? { initDurationMs: Number(match[6]) } : {}),
    ...(match[7] ? { status: match[7] } : {}),
    ...(match[8] ? { errorType: match[8] } : {}),
  };
}

/** A server on an ephemeral port whose platform lines are collected instead of printed. */
async function startEcho(
  options: { concurrency?: number; maxQueued?: number; timeoutSeconds?: number; handlerModule?: string; drainBounds?: DrainBounds } = {},
) {
  const lines: string[] = [];
  const server = await startLocalFunctionUrl({
    handlerModule: options.handlerModule ?? echoHandler,
    port: 0,
    concurrency: options.concurrency ?? 1,
    ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    ...(options.drainBounds === undefined ? {} : { drainBounds: options.drainBounds }),
    timeoutSeconds: options.timeoutSeconds ?? 30,
    memorySizeMB: 1536,
    functionName: "echo-under-test",
    functionOutput: "ignore",
    log: (line) => lines.push(line),
  });
  const reports = () => lines.filter((line) => line.startsWith("REPORT ")).map(parseReport);
  const reportFor = (requestId: string) => reports().find((report) => report.requestId === requestId);
  return { server, lines, reports, reportFor };
}

const echoed = (body: Buffer) => JSON.parse(body.toString("utf8"));
const requestIdOf = (response: { headers: Record<string, string[]> }) => response.headers["x-amzn-requestid"]![0]!;
const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm start options", () => {
  const optionsOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const parsed = parseServeOptions(argv, env);
    if (parsed.help) throw new Error("unexpected --help");
    return parsed.options;
  };

  it("defaults to 127.0.0.1:9000, one environment, 16 waiting requests, 30 s, 2048 MB, the real handler", () => {
    const options = optionsOf([]);
    expect(options).toMatchObject({ host: "127.0.0.1", port: 9000, concurrency: 1, maxQueued: 16, timeoutSeconds: 30, memorySizeMB: 2048 });
    expect(options.handlerModule).toBe(realHandler);
  });

  it("takes PORT/SERVE_HOST/CONCURRENCY/MAX_QUEUED/TIMEOUT from the environment, and flags over those", () => {
    const env = { PORT: "8080", SERVE_HOST: "0.0.0.0", CONCURRENCY: "3", MAX_QUEUED: "5", TIMEOUT: "10" };
    expect(optionsOf([], env)).toMatchObject({ port: 8080, host: "0.0.0.0", concurrency: 3, maxQueued: 5, timeoutSeconds: 10 });
    expect(
      optionsOf(["--port", "0", "--host", "::1", "--concurrency", "2", "--max-queued", "0", "--timeout", "5"], env),
    ).toMatchObject({ port: 0, host: "::1", concurrency: 2, maxQueued: 0, timeoutSeconds: 5 });
  });

  it("ignores the generic HOST variable, and derives the queue from the concurrency", () => {
    expect(optionsOf([], { HOST: "0.0.0.0" }).host).toBe("127.0.0.1");
    expect(optionsOf(["--concurrency", "3"]).maxQueued).toBe(48);
  });

  it("gives each of N environments a share of the cores unless ORT_INTRA_OP_THREADS is set", () => {
    expect(optionsOf(["--concurrency", "2"]).env?.ORT_INTRA_OP_THREADS).toMatch(/^[1-9]\d*$/);
    expect(optionsOf(["--concurrency", "2"], { ORT_INTRA_OP_THREADS: "4" }).env?.ORT_INTRA_OP_THREADS).toBe("4");
    expect(optionsOf([]).env?.ORT_INTRA_OP_THREADS).toBeUndefined();
  });

  it("--image [REF]: containers of REF, or of the default local image which must be built first", () => {
    const parse = (argv: string[]) => {
      const parsed = parseServeOptions(argv, {});
      if (parsed.help) throw new Error("unexpected --help");
      return { image: parsed.options.image, buildImage: parsed.buildImage };
    };
    expect(parse([])).toEqual({ image: undefined, buildImage: false });
    expect(parse(["--image"])).toEqual({ image: { ref: defaultLocalImageRef }, buildImage: true });
    expect(parse(["--image", "--port", "0"])).toEqual({ image: { ref: defaultLocalImageRef }, buildImage: true });
    expect(parse(["--image", "example.com/fn:1"])).toEqual({ image: { ref: "example.com/fn:1" }, buildImage: false });
    expect(parse(["--image=example.com/fn:1"])).toEqual({ image: { ref: "example.com/fn:1" }, buildImage: false });
    expect(() => parse(["--image", "--handler", "x.ts"])).toThrow(/--handler and --image/);
  });

  it("rejects bad values and unknown flags with a message naming them", () => {
    expect(() => optionsOf(["--concurrency", "0"])).toThrow(/--concurrency must be a positive integer/);
    expect(() => optionsOf(["--port", "http"])).toThrow(/--port/);
    expect(() => optionsOf([], { TIMEOUT: "1.5" })).toThrow(/--timeout/);
    expect(() => optionsOf(["--bogus"])).toThrow(/bogus/);
    expect(() => optionsOf([], { MAX_QUEUED: "-1" })).toThrow(/--max-queued must be a non-negative integer/);
  });
});

describe("local function URL: Host header check (DNS rebinding)", () => {
  it("answers loopback names with the port on a loopback bind, and nothing else", () => {
    for (const bind of ["127.0.0.1", "::1", "localhost"]) {
      const policy = hostPolicy(bind, 9000);
      for (const host of ["localhost:9000", "127.0.0.1:9000", "[::1]:9000", "LOCALHOST:9000"]) expect(policy.accepts(host)).toBe(true);
      for (const host of ["evil.example", "evil.example:9000", "localhost", "localhost:9001", "127.0.0.1.evil.example:9000", undefined]) {
        expect({ bind, host, accepted: policy.accepts(host) }).toEqual({ bind, host, accepted: false });
      }
    }
  });

  it("answers only its own address on a non-loopback bind, and any host on a wildcard bind", () => {
    const lan = hostPolicy("192.168.1.10", 8080);
    expect(lan.accepts("192.168.1.10:8080")).toBe(true);
    expect(lan.accepts("localhost:8080")).toBe(false);
    expect(lan.accepts("evil.example:8080")).toBe(false);
    expect(hostPolicy("fd00::5", 8080).accepts("[fd00::5]:8080")).toBe(true);
    for (const wildcard of ["0.0.0.0", "::"]) expect(hostPolicy(wildcard, 8080).accepts("evil.example")).toBe(true);
  });

  it("warns about every bind that is not loopback", () => {
    for (const loopback of ["127.0.0.1", "127.0.0.2", "::1", "localhost"]) expect(bindWarning(loopback)).toBeUndefined();
    expect(bindWarning("192.168.1.10")).toMatch(/^Warning: listening on 192\.168\.1\.10, not loopback/);
    expect(bindWarning("0.0.0.0")).toMatch(/all interfaces.*any Host header is accepted/);
    expect(bindWarning("::")).toMatch(/all interfaces/);
  });

  it("refuses a request whose Host is not this server with 421 and a JSON message, without invoking the function", async () => {
    const echo = await startEcho();
    try {
      const refused = await rawRequest(`${echo.server.url}/classify`, {
        method: "POST",
        headers: { host: "evil.example", "content-type": "image/jpeg" },
        body: Buffer.alloc(1000, 1),
      });
      expect(refused.status).toBe(421);
      expect(refused.headers["content-type"]).toEqual(["application/json"]);
      expect(JSON.parse(refused.body.toString()).Message).toContain('"evil.example"');
      expect((await rawRequest(`${echo.server.url}/`, { headers: { host: `evil.example:${echo.server.port}` } })).status).toBe(421);
      expect(echo.reports()).toHaveLength(0);
      for (const host of [`localhost:${echo.server.port}`, `127.0.0.1:${echo.server.port}`, `[::1]:${echo.server.port}`]) {
        expect({ host, status: (await rawRequest(`${echo.server.url}/`, { headers: { host } })).status }).toEqual({ host, status: 200 });
      }
    } finally {
      await echo.server.close();
    }
  });

  it("npm start warns when it binds all interfaces (SERVE_HOST), and answers any Host there", async () => {
    const child = spawnScript("scripts/tools/serve/main.ts", ["--port", "0", "--handler", echoHandler], {
      SERVE_HOST: "0.0.0.0",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout!.resume();
    try {
      const url = await announcedFunctionUrl(child);
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      expect(stderr).toMatch(/Warning: listening on all interfaces \(0\.0\.0\.0\)/);
      expect((await rawRequest(`${url}/`, { headers: { host: "any.example" } })).status).toBe(200);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("local function URL: refused uploads reach the client as a 413 (lingering close)", () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let dir: string;
  beforeAll(async () => {
    echo = await startEcho();
    dir = await mkdtemp(join(tmpdir(), "serve-test-"));
  });
  afterAll(async () => {
    await echo.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const expectFunctionUrl413 = (status: number, body: string) => {
    expect(status).toBe(413);
    expect(JSON.parse(body).Message).toBe("Request must be smaller than 6291456 bytes for the InvokeFunction operation");
  };

  it("fetch() posting 7 MB, and streaming 20 MB, reads the 413", async () => {
    const whole = await fetch(`${echo.server.url}/classify`, { method: "POST", body: Buffer.alloc(7_000_000, 1) });
    expectFunctionUrl413(whole.status, await whole.text());
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 20_000_000) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await fetch(`${echo.server.url}/classify`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expectFunctionUrl413(streamed.status, await streamed.text());
  });

  it("curl --data-binary @file reads the 413, with and without Expect: 100-continue", async () => {
    const file = join(dir, "big.bin");
    await writeFile(file, Buffer.alloc(20_000_000, 1));
    for (const expectHeader of [[], ["-H", "Expect:"]]) {
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
        execFile(
          "curl",
          ["-sS", "-w", "\n%{http_code}", "-H", "content-type: image/jpeg", ...expectHeader, "--data-binary", `@${file}`, `${echo.server.url}/classify`],
          (error, stdout, stderr) => (error ? reject(new Error(`curl ${expectHeader.join(" ")}: ${stderr}`, { cause: error })) : resolve({ stdout })),
        ),
      );
      const [body, status] = [stdout.slice(0, stdout.lastIndexOf("\n")), stdout.slice(stdout.lastIndexOf("\n") + 1)];
      expectFunctionUrl413(Number(status), body);
    }
  });

  it("a raw socket that sends all of a 20 MB body reads the 413 and a clean close, no reset", async () => {
    const result = await rawUpload(echo.server.port, { declaredBytes: 20_000_000 });
    expect(result.errorCode).toBeUndefined();
    expect(result.bodySent).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.received).toMatch(/\r\nconnection: close\r\n/i);
    expectFunctionUrl413(413, result.received.slice(result.received.indexOf("\r\n\r\n") + 4));
  });

  it("stops draining after its byte bound and after its time bound", async () => {
    const bounded = await startEcho({ drainBounds: { maxBytes: 1024 * 1024, maxMs: 60_000 } });
    try {
      const tooMuch = await rawUpload(bounded.server.port, { declaredBytes: 64_000_000 });
      expect(tooMuch.received).toMatch(/^HTTP\/1\.1 413 /);
      expect(tooMuch.bodySent).toBe(false);
    } finally {
      await bounded.server.close();
    }
    const impatient = await startEcho({ drainBounds: { maxBytes: 64 * 1024 * 1024, maxMs: 1500 } });
    try {
      // Declares 10 MB, sends 2 MB, then waits: only the time bound ends the connection (1.5 s: sending the 2 MB must
      // finish well before it even on a loaded machine).
      const stalled = await rawUpload(impatient.server.port, { declaredBytes: 10_000_000, sendBytes: 2_000_000 });
      expect(stalled.received).toMatch(/^HTTP\/1\.1 413 /);
      expect(stalled.bodySent).toBe(true);
    } finally {
      await impatient.server.close();
    }
  });
});

describe("local function URL: the event, the context and the response", () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.server.close());

  it("sends a binary body base64-encoded, byte for byte", async () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x80, 0x7f, 0x0a, 0xfe]);
    const response = await rawRequest(`${echo.server.url}/classify`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: bytes,
    });
    const { event } = echoed(response.body);
    expect(response.status).toBe(200);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, "base64")).toEqual(bytes);
  });

  it("sends text content types as UTF-8 strings, and form-urlencoded or non-UTF-8 text as base64", async () => {
    const text = JSON.stringify({ word: "héllo ✓" });
    for (const contentType of ["application/json", "text/plain; charset=utf-8", "application/vnd.api+json", "application/xml"]) {
      const { event } = echoed(
        (await rawRequest(`${echo.server.url}/`, { method: "POST", headers: { "content-type": contentType }, body: text })).body,
      );
      expect({ contentType, isBase64Encoded: event.isBase64Encoded, body: event.body }).toEqual({
        contentType,
        isBase64Encoded: false,
        body: text,
      });
    }
    const form = await rawRequest(`${echo.server.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&b=2",
    });
    expect(echoed(form.body).event).toMatchObject({ isBase64Encoded: true, body: Buffer.from("a=1&b=2").toString("base64") });
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const notUtf8 = await rawRequest(`${echo.server.url}/`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: latin1,
    });
    expect(echoed(notUtf8.body).event).toMatchObject({ isBase64Encoded: true, body: latin1.toString("base64") });
  });

  it("leaves the body field out when there is no body", async () => {
    const { event } = echoed((await rawRequest(`${echo.server.url}/health`)).body);
    expect(event).not.toHaveProperty("body");
    expect(event.isBase64Encoded).toBe(false);
  });

  it("lowercases header names, joins repeated headers and query values with commas, and splits cookies", async () => {
    const before = Date.now();
    const response = await rawRequest(`${echo.server.url}/some/path?tag=a&tag=b&name=J%C3%BCrgen+X&empty=`, {
      method: "PUT",
      headers: {
        "X-Mixed-Case": "Value",
        "x-repeated": ["one", "two", "three"],
        "user-agent": "serve-test/1.0",
        cookie: ["session=abc; theme=dark", "extra=1"],
      },
    });
    const { event, context } = echoed(response.body);
    expect(event.version).toBe("2.0");
    expect(event.routeKey).toBe("$default");
    expect(event.rawPath).toBe("/some/path");
    expect(event.rawQueryString).toBe("tag=a&tag=b&name=J%C3%BCrgen+X&empty=");
    expect(event.queryStringParameters).toEqual({ tag: "a,b", name: "Jürgen X", empty: "" });
    expect(event.headers["x-mixed-case"]).toBe("Value");
    expect(event.headers).not.toHaveProperty("X-Mixed-Case");
    expect(event.headers["x-repeated"]).toBe("one,two,three");
    expect(event.headers).not.toHaveProperty("cookie");
    expect(event.headers).not.toHaveProperty("connection");
    expect(event.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(event.cookies).toEqual(["session=abc", "theme=dark", "extra=1"]);

    const requestContext = event.requestContext;
    expect(requestContext).toMatchObject({
      accountId: "anonymous",
      routeKey: "$default",
      stage: "$default",
      http: { method: "PUT", path: "/some/path", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "serve-test/1.0" },
    });
    expect(requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(requestContext.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(requestContext.timeEpoch).toBeLessThanOrEqual(Date.now());
    expect(requestContext.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdOf(response)).toBe(requestContext.requestId);
    expect(context.awsRequestId).toBe(requestContext.requestId);
  });

  it("omits queryStringParameters and cookies when the request has none", async () => {
    const { event } = echoed((await rawRequest(`${echo.server.url}/plain`)).body);
    expect(event.rawQueryString).toBe("");
    expect(event).not.toHaveProperty("queryStringParameters");
    expect(event).not.toHaveProperty("cookies");
  });

  it("gives the handler a Lambda-like context and environment", async () => {
    const { context, environment } = echoed((await rawRequest(`${echo.server.url}/`)).body);
    expect(context.functionName).toBe("echo-under-test");
    expect(context.functionVersion).toBe("$LATEST");
    expect(context.memoryLimitInMB).toBe("1536");
    expect(context.invokedFunctionArn).toMatch(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:echo-under-test$/);
    expect(context.remainingTimeMs).toBeGreaterThan(0);
    expect(context.remainingTimeMs).toBeLessThanOrEqual(30_000);
    expect(environment.initialisationType).toBe("local");
    expect(environment.pid).not.toBe(process.pid);
  });

  it("maps structured results back: status, headers, cookies as set-cookie, base64 bodies", async () => {
    const teapot = await rawRequest(`${echo.server.url}/?status=418&cookie=xyz`);
    expect(teapot.status).toBe(418);
    expect(teapot.headers["x-echo"]).toEqual(["yes"]);
    expect(teapot.headers["set-cookie"]).toEqual(["a=xyz; Path=/", "b=2; HttpOnly"]);
    const binary = await rawRequest(`${echo.server.url}/?shape=binary`);
    expect(binary.headers["content-type"]).toEqual(["application/octet-stream"]);
    expect([...binary.body]).toEqual([0, 1, 2, 255]);
  });

  it("answers a non-structured result as Lambda does: 200 application/json", async () => {
    const object = await rawRequest(`${echo.server.url}/?shape=object`);
    expect(object.status).toBe(200);
    expect(object.headers["content-type"]).toEqual(["application/json"]);
    expect(echoed(object.body)).toMatchObject({ plain: "object" });
    const text = await rawRequest(`${echo.server.url}/?shape=string`);
    expect(text.status).toBe(200);
    expect(text.body.toString()).toBe("plain string result");
  });

  it("refuses a body over 6 MB with 413 and a JSON message, without invoking the function", async () => {
    const reportsBefore = echo.reports().length;
    const oversized = Buffer.alloc(6_291_457, 7);
    for (const chunked of [false, true]) {
      const response = await rawRequest(`${echo.server.url}/classify`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: oversized,
        chunked,
      });
      expect(response.status).toBe(413);
      expect(response.headers["content-type"]).toEqual(["application/json"]);
      expect(JSON.parse(response.body.toString()).Message).toContain("6291456 bytes");
    }
    expect(echo.reports().length).toBe(reportsBefore);
  });

  it("counts the base64-encoded event against the limit: 4.8 MB of binary is over, 4 MB is not", async () => {
    const over = await rawRequest(`${echo.server.url}/classify`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      // 4.8 MB of bytes is 6.4 MB as base64, over the 6 MiB invoke payload.
      body: Buffer.alloc(4_800_000, 1),
    });
    expect(over.status).toBe(413);
    const under = await rawRequest(`${echo.server.url}/?shape=object`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: Buffer.alloc(4_000_000, 1),
    });
    expect(under.status).toBe(200);
  });

  it("answers 502 when the function's result is over the 6 MB response limit", async () => {
    expect((await rawRequest(`${echo.server.url}/?bytes=6300000`)).status).toBe(502);
    expect((await rawRequest(`${echo.server.url}/?bytes=1000`)).status).toBe(200);
  });

  it("prints one REPORT line per invocation, Init Duration only on the environment's first", async () => {
    const reports = echo.reports();
    expect(reports.length).toBeGreaterThan(5);
    expect(echo.lines.filter((line) => line.startsWith("REPORT ")).length).toBe(reports.length);
    expect(reports[0]!.initDurationMs).toBeGreaterThan(0);
    expect(reports.slice(1).every((report) => report.initDurationMs === undefined)).toBe(true);
    for (const report of reports) {
      expect(report.memorySizeMB).toBe(1536);
      expect(report.maxMemoryUsedMB).toBeGreaterThan(0);
      // Billed from the exact durations; the line prints each rounded to 0.01 ms, so their sum may be 0.01 off.
      const printed = report.durationMs + (report.initDurationMs ?? 0);
      expect([Math.ceil(printed - 0.01), Math.ceil(printed + 0.01)]).toContain(report.billedMs);
    }
    const response = await rawRequest(`${echo.server.url}/?delay=5`);
    const report = echo.reportFor(requestIdOf(response));
    expect(report?.durationMs).toBeGreaterThanOrEqual(5);
  });
});

describe("local function URL: execution environments", () => {
  it("runs two requests at once with --concurrency 2 and queues a third until one is free", async () => {
    const echo = await startEcho({ concurrency: 2 });
    try {
      const responses = await Promise.all(
        [0, 1, 2].map(async (index) => {
          // Staggered so the arrival order is known.
          await new Promise((resolve) => setTimeout(resolve, index * 50));
          return echoed((await rawRequest(`${echo.server.url}/?delay=600&n=${index}`)).body);
        }),
      );
      const [first, second, third] = responses.map((body) => ({ pid: body.environment.pid, ...body.timing }));
      expect(first!.pid).not.toBe(second!.pid);
      // The first two overlap in time; the third starts only after one of them has finished, in the freed environment.
      expect(second!.startedAt).toBeLessThan(first!.endedAt);
      expect(first!.startedAt).toBeLessThan(second!.endedAt);
      const firstFinished = first!.endedAt <= second!.endedAt ? first! : second!;
      expect(third!.startedAt).toBeGreaterThanOrEqual(firstFinished.endedAt);
      expect(third!.pid).toBe(firstFinished.pid);
    } finally {
      await echo.server.close();
    }
  });

  it("answers 502 for a crash, replaces the environment, and the next request succeeds (cold)", async () => {
    const echo = await startEcho();
    try {
      const before = echoed((await rawRequest(`${echo.server.url}/`)).body).environment.pid;
      const crash = await rawRequest(`${echo.server.url}/?crash=exit`);
      expect(crash.status).toBe(502);
      expect(crash.body.toString()).toBe("Internal Server Error");
      expect(echo.reportFor(requestIdOf(crash))).toMatchObject({ status: "error", errorType: "Runtime.ExitError" });

      const after = await rawRequest(`${echo.server.url}/`);
      expect(after.status).toBe(200);
      const afterPid = echoed(after.body).environment.pid;
      expect(afterPid).not.toBe(before);
      expect(processAlive(before)).toBe(false);
      expect(echo.reportFor(requestIdOf(after))?.initDurationMs).toBeGreaterThan(0);

      const uncaught = await rawRequest(`${echo.server.url}/?crash=uncaught`);
      expect(uncaught.status).toBe(502);
      expect((await rawRequest(`${echo.server.url}/`)).status).toBe(200);
    } finally {
      await echo.server.close();
    }
  });

  it("answers 429 with Lambda's throttling body once the wait queue is full, without invoking the function", async () => {
    const echo = await startEcho({ concurrency: 1, maxQueued: 1 });
    try {
      const running = rawRequest(`${echo.server.url}/?delay=800`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const waiting = rawRequest(`${echo.server.url}/?n=waiting`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const throttled = await rawRequest(`${echo.server.url}/?n=throttled`);
      expect(throttled.status).toBe(429);
      expect(throttled.headers["x-amzn-errortype"]).toEqual(["TooManyRequestsException"]);
      expect(throttled.headers["content-type"]).toEqual(["application/json"]);
      expect(JSON.parse(throttled.body.toString())).toEqual({ Message: "Rate Exceeded." });
      expect((await running).status).toBe(200);
      expect((await waiting).status).toBe(200);
      expect(echo.reports()).toHaveLength(2);
      expect(echo.reportFor(requestIdOf(throttled))).toBeUndefined();
    } finally {
      await echo.server.close();
    }
  });

  it("bounds connections by the queue, and request and header time by the function timeout", async () => {
    const echo = await startEcho({ concurrency: 2, timeoutSeconds: 5 });
    try {
      expect(echo.server.limits).toEqual({
        maxQueued: 32,
        maxConnections: 2 + 32 + spareConnections,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 15_000,
      });
    } finally {
      await echo.server.close();
    }
  });

  it("drops a queued request whose client went away, without invoking the function for it", async () => {
    const echo = await startEcho();
    try {
      const first = rawRequest(`${echo.server.url}/?delay=700`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const abandoned = new AbortController();
      const gone = fetch(`${echo.server.url}/?n=abandoned`, { signal: abandoned.signal }).catch((error: Error) => error);
      await new Promise((resolve) => setTimeout(resolve, 100));
      abandoned.abort();
      expect(await gone).toBeInstanceOf(Error);
      const last = await rawRequest(`${echo.server.url}/?n=last`);
      expect((await first).status).toBe(200);
      expect(last.status).toBe(200);
      expect(echo.reports()).toHaveLength(2);
      expect(echoed(last.body).environment.invocations).toBe(2);
    } finally {
      await echo.server.close();
    }
  });

  it("refuses to start when the handler module fails to initialise, naming the error", async () => {
    const broken = fileURLToPath(new URL("./support/broken-handler.ts", import.meta.url));
    await expect(startEcho({ handlerModule: broken })).rejects.toThrow(/Runtime\.ImportModuleError: Error: model file not found during init/);
  });

  it("answers 502 for a handler error but keeps the environment, as Lambda does", async () => {
    const echo = await startEcho();
    try {
      const before = echoed((await rawRequest(`${echo.server.url}/`)).body).environment;
      const failed = await rawRequest(`${echo.server.url}/?crash=throw`);
      expect(failed.status).toBe(502);
      const after = echoed((await rawRequest(`${echo.server.url}/`)).body).environment;
      expect(after.pid).toBe(before.pid);
      expect(after.invocations).toBe(before.invocations + 2);
    } finally {
      await echo.server.close();
    }
  });

  it("stops an invocation at the timeout with 502 and a Status: timeout REPORT", async () => {
    const echo = await startEcho({ timeoutSeconds: 1 });
    try {
      const slow = await rawRequest(`${echo.server.url}/?delay=5000`);
      expect(slow.status).toBe(502);
      expect(echo.reportFor(requestIdOf(slow))?.status).toBe("timeout");
      expect(echo.lines.some((line) => line.includes("Task timed out after 1.00 seconds"))).toBe(true);
      expect((await rawRequest(`${echo.server.url}/`)).status).toBe(200);
    } finally {
      await echo.server.close();
    }
  });

  it("shuts down cleanly: finishes the request in flight, refuses new connections, stops every environment", async () => {
    const echo = await startEcho({ concurrency: 2 });
    const pids = await Promise.all([0, 1].map(async () => echoed((await rawRequest(`${echo.server.url}/?delay=300`)).body).environment.pid));
    const inFlight = rawRequest(`${echo.server.url}/?delay=800`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await echo.server.close();
    expect((await inFlight).status).toBe(200);
    await expect(rawRequest(`${echo.server.url}/`)).rejects.toThrow(/ECONNREFUSED/);
    for (const pid of new Set(pids)) expect(processAlive(pid)).toBe(false);
  });

  it("npm start's script exits 0 on SIGTERM after answering the request in flight", async () => {
    const child = spawnScript("scripts/tools/serve/main.ts", ["--port", "0", "--handler", echoHandler], { POWERTOOLS_LOG_LEVEL: "SILENT" });
    const url = await announcedFunctionUrl(child);
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const inFlight = rawRequest(`${url}/?delay=700`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect((await inFlight).status).toBe(200);
    expect(code).toBe(0);
    expect(stdout.split("\n").filter((line) => line.startsWith("REPORT ")).map(parseReport)).toHaveLength(1);
  });
});

describe("local function URL in front of the real handler", () => {
  let local: Awaited<ReturnType<typeof startEcho>>;
  let jpeg: Buffer;
  beforeAll(async () => {
    local = await startEcho({ handlerModule: realHandler });
    jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: 30, g: 140, b: 200 } } })
      .composite([{ input: Buffer.alloc(40 * 40 * 3, 250), raw: { width: 40, height: 40, channels: 3 }, left: 20, top: 30 }])
      .jpeg({ quality: 85 })
      .toBuffer();
  });
  afterAll(() => local.server.close());

  it("classifies a JPEG posted with curl-style raw bytes", async () => {
    const response = await rawRequest(`${local.server.url}/classify?top_k=5`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: jpeg,
    });
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body.toString());
    expect(body.predictions).toHaveLength(5);
    const total = body.predictions.reduce((sum: number, p: { score: number }) => sum + p.score, 0);
    expect(total).toBeCloseTo(1, 5);
    expect(response.headers["server-timing"]?.[0]).toMatch(/inference/);
  });

  it("gives the same predictions as a direct handler call on the same bytes", async () => {
    const viaServer = JSON.parse(
      (
        await rawRequest(`${local.server.url}/classify?top_k=5`, {
          method: "POST",
          headers: { "content-type": "image/jpeg" },
          body: jpeg,
        })
      ).body.toString(),
    );
    const { handler } = (await import("../handler/index.js")) as {
      handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
    };
    const event = buildFunctionUrlEvent(
      {
        method: "POST",
        target: "/classify?top_k=5",
        httpVersion: "1.1",
        headers: { "content-type": ["image/jpeg"], host: ["local"] },
        sourceIp: "127.0.0.1",
        localPort: 0,
        body: jpeg,
      },
      { requestId: "direct-call", receivedAt: new Date(), urlId: "local" },
    );
    const { createLambdaContext, functionSettingsFromEnv } = await import("../scripts/shared/lambda-emulator/context.js");
    const direct = await handler(event, createLambdaContext(functionSettingsFromEnv({}), "direct-call", Date.now() + 30_000));
    expect(direct.statusCode).toBe(200);
    expect(JSON.parse(direct.body).predictions).toEqual(viaServer.predictions);
  });
});
