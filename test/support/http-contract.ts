import { Agent, type OutgoingHttpHeaders } from "node:http";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../../handler/errors.js";
import { acceptedFormats, type ImageFormat } from "../../handler/image-formats.js";
import { gifClaiming } from "./crafted-images.js";
import { ResponseContract } from "./openapi-contract.js";
import { type RawResponse, rawRequest } from "./raw-http.js";
import { imageFormats, multipartBody, testImage } from "./test-images.js";

/** A running server that speaks the function URL's HTTP API, and its payload limit. */
export interface HttpContractTarget {
  /** Base URL, e.g. http://127.0.0.1:9000 (no trailing slash). */
  url: string;
  /** The largest request body it accepts; one byte more is answered 413. */
  maxBodyBytes: number;
  close(): Promise<void>;
}

interface ClientRequest {
  method?: string;
  /** Path with an optional query string. */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: Uint8Array | string;
  chunked?: boolean;
  agent?: Agent;
}

interface Exchange {
  method: string;
  path: string;
  status: number;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  text: string;
  reusedSocket: boolean;
}

interface Prediction {
  label: string;
  score: number;
}

/** What a browser sends when the user opens the URL. */
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
/** A stack frame or a source location: none may reach a client. */
const STACK_TRACE = /\n\s+at |\bat .*\.(?:[cm]?js|ts):\d+|node_modules|file:\/\//;

const svgBytes = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
const bmpHeader = Buffer.from("424d3e000000000000003e00000028000000010000000100000001001800000000000800000000000000000000000000000000000000", "hex");

const exchangeOf = (request: ClientRequest, response: RawResponse): Exchange => ({
  method: request.method ?? "GET",
  path: request.path,
  status: response.status,
  headers: Object.fromEntries(Object.entries(response.headers).map(([name, values]) => [name, values.join(", ")])),
  text: response.body.toString("utf8"),
  reusedSocket: response.reusedSocket,
});

const mediaType = (contentType: string | undefined) => contentType?.split(";")[0]!.trim().toLowerCase();

/**
 * The function URL's HTTP API (README "HTTP API", GET /openapi.json) over real sockets, against the real handler and
 * the default model. `start` gives a fresh server; the suite closes it. Anything only one kind of server has (npm
 * start's REPORT lines and x-amzn-requestid, a server entry's queue) is not asserted here.
 */
export function describeHttpContract(name: string, start: () => Promise<HttpContractTarget>): void {
  describe(name, () => {
    let target: HttpContractTarget | undefined;
    let contract: ResponseContract;
    let document: Record<string, any>;
    let manifest: { name: string; version: string; sha256: string; labels: string[] };
    let labelCount: number;
    const images = {} as Record<ImageFormat, Buffer>;
    /** Each format's predictions over all labels from a raw POST /classify; every other form must give the same. */
    const reference = {} as Record<ImageFormat, Prediction[]>;

    const send = async (request: ClientRequest): Promise<Exchange> => {
      const { path, ...options } = request;
      return exchangeOf(request, await rawRequest(`${target!.url}${path}`, options));
    };

    /**
     * The answer is one the served document gives for its path, method and status: its content type, its required
     * headers, a JSON body that conforms; and every answer is nosniff and no-store, with no stack trace in it. Returns
     * the parsed JSON body.
     */
    const expectDocumented = (exchange: Exchange): any => {
      const where = `${exchange.method} ${exchange.path} → ${exchange.status} ${exchange.text.slice(0, 300)}`;
      const documented = contract.responseOf(exchange.path, exchange.method, exchange.status);
      const type = mediaType(exchange.headers["content-type"]);
      expect(Object.keys(documented.content ?? {}), where).toContain(type);
      for (const [header, spec] of Object.entries<{ required?: boolean }>(documented.headers ?? {})) {
        if (spec.required) expect(exchange.headers[header.toLowerCase()], `${where}: header ${header}`).toEqual(expect.any(String));
      }
      expect(exchange.headers["x-content-type-options"], where).toBe("nosniff");
      expect(exchange.headers["cache-control"], where).toBe("no-store");
      expect(exchange.text, where).not.toMatch(STACK_TRACE);
      if (type !== "application/json") return undefined;
      expect(exchange.headers["content-type"], where).toBe("application/json");
      const body = JSON.parse(exchange.text);
      expect(contract.check(exchange.path, exchange.method, exchange.status, body), where).toEqual([]);
      return body;
    };

    const call = async (request: ClientRequest) => {
      const exchange = await send(request);
      return { ...exchange, json: expectDocumented(exchange) };
    };

    /** The documented error answer: status, `{"error":{"code","message"},"requestId"}`, no stack trace. */
    const expectError = (exchange: Exchange, status: number, code: ErrorCode): { error: { code: string; message: string }; requestId: string } => {
      const body = expectDocumented(exchange);
      expect(exchange.status, exchange.text).toBe(status);
      expect(body).toEqual({ error: { code, message: expect.any(String) }, requestId: expect.any(String) });
      expect(body.requestId).not.toBe("");
      return body;
    };

    /** A 200 classify answer: the model's name and version, timings, and Server-Timing stating those timings. */
    const expectClassified = (exchange: Exchange & { json: any }): void => {
      expect(exchange.status, exchange.text).toBe(200);
      expect(exchange.json.model).toEqual({ name: manifest.name, version: manifest.version });
      const { decodeMs, inferenceMs, totalMs } = exchange.json.timings;
      expect(totalMs).toBeGreaterThanOrEqual(decodeMs);
      expect(exchange.headers["server-timing"]).toBe(`decode;dur=${decodeMs}, inference;dur=${inferenceMs}, total;dur=${totalMs}`);
    };

    /** Every label once, best first, scores summing to 1. */
    const expectDistribution = (predictions: Prediction[]): void => {
      expect(predictions.map((p) => p.label).sort()).toEqual([...manifest.labels].sort());
      expect(Math.abs(predictions.reduce((sum, p) => sum + p.score, 0) - 1)).toBeLessThan(1e-5);
      for (let i = 1; i < predictions.length; i++) expect(predictions[i - 1]!.score).toBeGreaterThanOrEqual(predictions[i]!.score);
    };

    const allLabels = (path = "/classify") => `${path}?top_k=${labelCount}`;
    const postRaw = (path: string, contentType: string | undefined, body: Uint8Array | string): ClientRequest => ({
      method: "POST",
      path,
      headers: contentType === undefined ? {} : { "content-type": contentType },
      body,
    });
    const postJson = (value: unknown, path = allLabels()) => postRaw(path, "application/json", JSON.stringify(value));
    const postForm = async (files: Parameters<typeof multipartBody>[0], fields?: Record<string, string>) => {
      const form = await multipartBody(files, fields);
      return postRaw(allLabels(), form.contentType, form.body);
    };
    const topKDocumented = () => document.paths["/classify"].post.parameters.find((p: { name: string }) => p.name === "top_k").schema;
    const maxBatchImages = () => document.components.schemas.ImageJsonRequest.properties.images.maxItems as number;

    beforeAll(async () => {
      target = await start();
      const served = await send({ path: "/openapi.json" });
      expect(served.status, served.text).toBe(200);
      document = JSON.parse(served.text);
      contract = new ResponseContract(document);
      // Parsed without the checks of the tests, so a wrong header fails those tests instead of the whole suite.
      manifest = JSON.parse((await send({ path: "/model" })).text);
      labelCount = manifest.labels.length;
      for (const [index, format] of imageFormats.entries()) {
        images[format] = await testImage(format, 48, 32, index + 1);
        const classified = await send(postRaw(allLabels(), acceptedFormats[format], images[format]));
        expect(classified.status, classified.text).toBe(200);
        reference[format] = JSON.parse(classified.text).predictions;
      }
    });

    afterAll(async () => {
      await target?.close();
    });

    describe("documents", () => {
      it("GET /openapi.json: a valid OpenAPI 3.1 document of every route, with the model's labels", async () => {
        const served = await call({ path: "/openapi.json" });
        expect(served.status).toBe(200);
        expect(served.json).toEqual(document);
        const validation = await new Validator().validate(structuredClone(document));
        expect(validation.errors).toBeUndefined();
        expect(document.openapi).toMatch(/^3\.1\./);
        expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/classify", "/", "/health", "/model", "/openapi.json"]));
        expect(document.components.schemas.Prediction.properties.label.enum).toEqual(manifest.labels);
      });

      it("GET /model: the manifest, labels as an array", async () => {
        const model = await call({ path: "/model" });
        expect(model.status).toBe(200);
        expect(model.json.labels).toEqual(expect.arrayContaining([expect.any(String)]));
        expect(model.json.sha256).toMatch(/^[0-9a-f]{64}$/);
      });

      it("GET /health: ok, the model's identity, the initialisation type and whether this was a cold start", async () => {
        for (const path of ["/health", "/health/"]) {
          const health = await call({ path });
          expect(health.status).toBe(200);
          expect(health.json).toEqual({
            status: "ok",
            model: { name: manifest.name, version: manifest.version, sha256: manifest.sha256 },
            initializationType: expect.any(String),
            coldStart: expect.any(Boolean),
          });
        }
      });

      it("GET / with a browser's Accept: the page, with its security headers", async () => {
        const page = await call({ path: "/", headers: { accept: BROWSER_ACCEPT } });
        expect(page.status).toBe(200);
        expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
        expect(page.text).toMatch(/^<!doctype html>/i);
        expect(page.text).toContain(manifest.name);
        expect(page.headers["content-security-policy"]).toMatch(/^default-src 'none'; /);
        expect(page.headers).toMatchObject({
          "x-frame-options": "DENY",
          "referrer-policy": "no-referrer",
          "cross-origin-opener-policy": "same-origin",
          vary: "accept",
        });
      });

      it("GET / from an API client (no Accept, */*, JSON) is 405 with Allow: POST", async () => {
        for (const accept of [undefined, "*/*", "application/json", "text/html, application/json"]) {
          const exchange = await send({ path: "/", headers: accept === undefined ? {} : { accept } });
          expectError(exchange, 405, "METHOD_NOT_ALLOWED");
          expect(exchange.headers.allow).toBe("POST");
        }
      });
    });

    describe("classify", () => {
      it.each(imageFormats.flatMap((format) => ["/classify", "/"].map((path) => [format, path] as const)))(
        "a raw %s body at POST %s: every label, best first, as the other forms give",
        async (format, path) => {
          const classified = await call(postRaw(allLabels(path), acceptedFormats[format], images[format]));
          expectClassified(classified);
          expectDistribution(classified.json.predictions);
          expect(classified.json.predictions).toEqual(reference[format]);
          expect(classified.json.results).toBeUndefined();
        },
      );

      it("gives different images different predictions", () => {
        expect(reference.jpeg).not.toEqual(reference.png);
      });

      it("raw bytes as application/octet-stream, and without a content type", async () => {
        const octet = await call(postRaw(allLabels("/"), "application/octet-stream", images.png));
        expectClassified(octet);
        expect(octet.json.predictions).toEqual(reference.png);
        const untyped = await call(postRaw(allLabels(), undefined, images.png));
        expectClassified(untyped);
        expect(untyped.json.predictions).toEqual(reference.png);
      });

      it("multipart/form-data with one file part answers predictions", async () => {
        const single = await call(await postForm([{ bytes: images.webp, type: "image/webp", filename: "photo.webp" }], { note: "ignored" }));
        expectClassified(single);
        expect(single.json.predictions).toEqual(reference.webp);
        expect(single.json.results).toBeUndefined();
      });

      it("multipart/form-data with several file parts answers results in order; a bad part fails alone", async () => {
        const all = await call(await postForm(imageFormats.map((format) => ({ bytes: images[format], type: acceptedFormats[format] }))));
        expectClassified(all);
        expect(all.json.predictions).toBeUndefined();
        expect(all.json.results).toEqual(imageFormats.map((format) => ({ predictions: reference[format] })));

        const mixed = await call(
          await postForm([
            { bytes: images.jpeg, type: "image/jpeg" },
            { bytes: images.jpeg.subarray(0, 200), type: "image/jpeg" },
            { bytes: svgBytes, type: "image/svg+xml" },
          ]),
        );
        expectClassified(mixed);
        expect(mixed.json.results).toEqual([
          { predictions: reference.jpeg },
          { error: { code: "INVALID_IMAGE", message: expect.any(String) } },
          { error: { code: "UNSUPPORTED_MEDIA_TYPE", message: expect.any(String) } },
        ]);
      });

      it('JSON {"image": base64}, also as a data: URL, answers predictions; {"images": [...]} answers results', async () => {
        const base64 = images.gif.toString("base64");
        const plain = await call(postJson({ image: base64 }));
        expectClassified(plain);
        expect(plain.json.predictions).toEqual(reference.gif);
        const dataUrl = await call(postJson({ image: `data:image/gif;base64,${base64}` }, allLabels("/")));
        expect(dataUrl.json.predictions).toEqual(reference.gif);
        const batch = await call(postJson({ images: imageFormats.map((format) => images[format].toString("base64")) }));
        expectClassified(batch);
        expect(batch.json.results).toEqual(imageFormats.map((format) => ({ predictions: reference[format] })));
      });

      it("top_k: the documented default without it, and any count from 1 to the label count, best first", async () => {
        const bounds = topKDocumented();
        expect(bounds).toMatchObject({ type: "integer", minimum: 1, maximum: labelCount });
        const fallback = await call(postRaw("/classify", "image/jpeg", images.jpeg));
        expect(fallback.json.predictions).toEqual(reference.jpeg.slice(0, bounds.default));
        for (const topK of [1, labelCount]) {
          const limited = await call(postRaw(`/classify?top_k=${topK}`, "image/jpeg", images.jpeg));
          expect(limited.json.predictions).toEqual(reference.jpeg.slice(0, topK));
        }
      });
    });

    describe("client mistakes: their 4xx and the error body, never a stack trace", () => {
      const cases: Array<{ name: string; status: number; code: ErrorCode; request: () => ClientRequest | Promise<ClientRequest>; allow?: string }> = [
        { name: "a truncated JPEG", status: 400, code: "INVALID_IMAGE", request: () => postRaw("/classify", "image/jpeg", images.jpeg.subarray(0, 300)) },
        { name: "random bytes as image/png", status: 415, code: "UNSUPPORTED_MEDIA_TYPE", request: () => postRaw("/classify", "image/png", Buffer.alloc(64, 7)) },
        { name: "text/plain", status: 415, code: "UNSUPPORTED_MEDIA_TYPE", request: () => postRaw("/classify", "text/plain", "hello") },
        { name: "image/svg+xml", status: 415, code: "UNSUPPORTED_MEDIA_TYPE", request: () => postRaw("/classify", "image/svg+xml", svgBytes) },
        { name: "SVG as octet-stream", status: 415, code: "UNSUPPORTED_MEDIA_TYPE", request: () => postRaw("/", "application/octet-stream", svgBytes) },
        { name: "a BMP", status: 415, code: "UNSUPPORTED_MEDIA_TYPE", request: () => postRaw("/classify", "image/bmp", bmpHeader) },
        { name: "an image claiming 10000 x 10000 pixels", status: 422, code: "IMAGE_TOO_LARGE", request: () => postRaw("/classify", "image/gif", gifClaiming(10_000, 10_000)) },
        { name: "a body that is not JSON", status: 400, code: "INVALID_JSON", request: () => postRaw("/classify", "application/json", '{"image": ') },
        { name: "JSON with neither image nor images", status: 400, code: "INVALID_REQUEST", request: () => postJson({ picture: "AAAA" }) },
        { name: "an image that is not base64", status: 400, code: "INVALID_BASE64", request: () => postJson({ image: "data with spaces==" }) },
        { name: "an empty image in JSON", status: 400, code: "EMPTY_IMAGE", request: () => postJson({ image: "" }) },
        { name: "an empty raw body", status: 400, code: "EMPTY_BODY", request: () => postRaw("/classify", "image/jpeg", "") },
        { name: "an empty JSON body", status: 400, code: "EMPTY_BODY", request: () => postRaw("/", "application/json", "") },
        { name: "multipart without a boundary", status: 400, code: "INVALID_MULTIPART", request: () => postRaw("/classify", "multipart/form-data", "--x\r\n") },
        { name: "a form with no file part", status: 400, code: "INVALID_MULTIPART", request: () => postForm([], { image: "not a file" }) },
        { name: "top_k=0", status: 400, code: "INVALID_TOP_K", request: () => postRaw("/classify?top_k=0", "image/png", images.png) },
        { name: "top_k above the label count", status: 400, code: "INVALID_TOP_K", request: () => postRaw(`/classify?top_k=${labelCount + 1}`, "image/png", images.png) },
        { name: "top_k=2.5", status: 400, code: "INVALID_TOP_K", request: () => postRaw("/classify?top_k=2.5", "image/png", images.png) },
        { name: "top_k=abc", status: 400, code: "INVALID_TOP_K", request: () => postRaw("/?top_k=abc", "image/png", images.png) },
        { name: "top_k given twice", status: 400, code: "INVALID_TOP_K", request: () => postRaw("/classify?top_k=1&top_k=2", "image/png", images.png) },
        {
          name: "one image more than the batch limit in JSON",
          status: 413,
          code: "TOO_MANY_IMAGES",
          request: () => postJson({ images: Array.from({ length: maxBatchImages() + 1 }, () => images.png.toString("base64")) }),
        },
        {
          name: "one file more than the batch limit in a form",
          status: 413,
          code: "TOO_MANY_IMAGES",
          request: () => postForm(Array.from({ length: maxBatchImages() + 1 }, () => ({ bytes: images.png, type: "image/png" }))),
        },
        { name: "an unknown path", status: 404, code: "NOT_FOUND", request: () => ({ path: "/predict" }) },
        { name: "a path below a route", status: 404, code: "NOT_FOUND", request: () => postRaw("/classify/extra", "image/png", images.png) },
        { name: "GET /classify", status: 405, code: "METHOD_NOT_ALLOWED", request: () => ({ path: "/classify" }), allow: "POST" },
        { name: "DELETE /", status: 405, code: "METHOD_NOT_ALLOWED", request: () => ({ method: "DELETE", path: "/" }), allow: "POST" },
        { name: "POST /health", status: 405, code: "METHOD_NOT_ALLOWED", request: () => postRaw("/health", "image/png", images.png), allow: "GET" },
        { name: "PUT /model", status: 405, code: "METHOD_NOT_ALLOWED", request: () => ({ method: "PUT", path: "/model", body: "{}" }), allow: "GET" },
        { name: "POST /openapi.json", status: 405, code: "METHOD_NOT_ALLOWED", request: () => postJson({}, "/openapi.json"), allow: "GET" },
      ];

      it.each(cases)("$status $code for $name", async ({ status, code, request, allow }) => {
        const exchange = await send(await request());
        expectError(exchange, status, code);
        if (allow) expect(exchange.headers.allow).toBe(allow);
      });

      it("gives each request its own requestId", async () => {
        const first = expectError(await send({ path: "/nope" }), 404, "NOT_FOUND");
        const second = expectError(await send({ path: "/nope" }), 404, "NOT_FOUND");
        expect(first.requestId).not.toBe(second.requestId);
      });
    });

    describe("connections and limits", () => {
      it("keeps a connection alive across answers: a classification, an error and a health check on one socket", async () => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const requests: ClientRequest[] = [
            postRaw("/classify", "image/jpeg", images.jpeg),
            { path: "/nope" },
            { path: "/health" },
          ];
          const answers: Exchange[] = [];
          for (const request of requests) answers.push(await send({ ...request, agent }));
          expect(answers.map((answer) => answer.status)).toEqual([200, 404, 200]);
          expect(answers.map((answer) => answer.reusedSocket)).toEqual([false, true, true]);
          for (const answer of answers) {
            expect(answer.headers.connection ?? "keep-alive").toMatch(/keep-alive/i);
            expectDocumented(answer);
          }
        } finally {
          agent.destroy();
        }
      });

      it.each([false, true])("refuses a body over maxBodyBytes with 413 JSON (chunked: %s), and answers normally afterwards", async (chunked) => {
        const refused = await send({
          ...postRaw("/classify", "application/octet-stream", Buffer.alloc(target!.maxBodyBytes + 1, 7)),
          chunked,
        });
        expect(refused.status, refused.text).toBe(413);
        expect(mediaType(refused.headers["content-type"])).toBe("application/json");
        const body = JSON.parse(refused.text);
        // A function URL refuses the event itself with Lambda's own body; a server in front of the handler answers as the handler does.
        if ("Message" in body) expect(body).toEqual({ Message: expect.any(String) });
        else expectError(refused, 413, "PAYLOAD_TOO_LARGE");

        const after = await call(postRaw(allLabels(), "image/png", images.png));
        expectClassified(after);
        expect(after.json.predictions).toEqual(reference.png);
      });
    });
  });
}
