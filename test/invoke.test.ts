import { execFile } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentTypeForFile } from "../scripts/shared/content-type.js";
import { functionUrlRegion, InsecureSigningError, signRequest } from "../scripts/shared/sigv4.js";
import { type LocalFunctionUrl, startLocalFunctionUrl } from "../scripts/shared/lambda-emulator/server.js";

const invokeCli = fileURLToPath(new URL("../scripts/tools/invoke/main.ts", import.meta.url));
const echoHandler = fileURLToPath(new URL("./support/echo-handler.ts", import.meta.url));
const realHandler = fileURLToPath(new URL("../handler/index.ts", import.meta.url));

/**
 * SigV4 written out from the specification with node:crypto alone, independent of the SDK under test
 * (paths here need no escaping). Checked below against AWS's published get-vanilla example.
 */
function referenceSignature(input: {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
  secretAccessKey: string;
  region: string;
  service: string;
  amzDate: string;
}): string {
  const encode = (value: string) =>
    encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = input.query
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
  const names = [...input.signedHeaders].sort();
  const canonicalHeaders = names.map((name) => `${name}:${input.headers[name]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalRequest = [input.method, input.path, canonicalQuery, canonicalHeaders, names.join(";"), input.payloadHash].join("\n");
  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", input.amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${input.secretAccessKey}`, date), input.region), input.service), "aws4_request");
  return createHmac("sha256", signingKey).update(stringToSign).digest("hex");
}

/**
 * A query string as AWS reads it when it verifies a signature: RFC 3986 percent-decoding only, so `+` stays a plus
 * sign (unlike URLSearchParams, which reads it as a space).
 */
function queryAsReceived(rawQuery: string): Array<[string, string]> {
  if (rawQuery === "") return [];
  return rawQuery.split("&").map((pair) => {
    const separator = pair.includes("=") ? pair.indexOf("=") : pair.length;
    return [decodeURIComponent(pair.slice(0, separator)), decodeURIComponent(pair.slice(separator + 1))];
  });
}

function parseAuthorization(header: string) {
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(header);
  if (!match) throw new Error(`unexpected authorization header: ${header}`);
  return { credential: match[1]!, signedHeaders: match[2]!.split(";"), signature: match[3]! };
}

// AWS's documented example credentials and the get-vanilla case of the SigV4 test suite.
const exampleKey = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

/** The environment a signing CLI run gets: the example key, a session token, and no other credential source. */
const signingEnvironment = (): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: exampleKey.accessKeyId,
  AWS_SECRET_ACCESS_KEY: exampleKey.secretAccessKey,
  AWS_SESSION_TOKEN: "token-from-env",
  AWS_PROFILE: "",
  AWS_CONFIG_FILE: "/nonexistent/aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
  AWS_EC2_METADATA_DISABLED: "true",
});

/** The signature AWS would compute over the request the echo function received (us-west-2, service lambda). */
function signatureOfWhatArrived(event: { rawPath: string; headers: Record<string, string> }, query: [string, string][]): string {
  const { headers } = event;
  return referenceSignature({
    method: "POST",
    path: event.rawPath,
    query,
    headers,
    signedHeaders: parseAuthorization(headers.authorization!).signedHeaders,
    payloadHash: headers["x-amz-content-sha256"]!,
    secretAccessKey: exampleKey.secretAccessKey,
    region: "us-west-2",
    service: "lambda",
    amzDate: headers["x-amz-date"]!,
  });
}
const vanillaDate = new Date("2015-08-30T12:36:00Z");
const vanillaAuthorization =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
  "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

describe("SigV4 signing for function URLs", () => {
  const url = new URL("https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/classify?top_k=3");
  const body = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
  const credentials = { ...exampleKey, sessionToken: "session-token-example" };
  const signingDate = new Date("2026-01-15T08:30:00Z");
  const sign = async (overrides: { body?: Uint8Array; region?: string } = {}) =>
    (
      await signRequest(
        { method: "POST", url, headers: { "Content-Type": "image/jpeg" }, body: overrides.body ?? body },
        { credentials, region: overrides.region ?? "eu-west-1", service: "lambda", signingDate },
      )
    ).headers;

  it("reproduces AWS's published get-vanilla signature, as does the reference implementation", async () => {
    const { headers } = await signRequest(
      { method: "GET", url: new URL("https://example.amazonaws.com/"), headers: {} },
      { credentials: exampleKey, region: "us-east-1", service: "service", signingDate: vanillaDate, includePayloadHash: false },
    );
    expect(headers.authorization).toBe(vanillaAuthorization);
    const reference = referenceSignature({
      method: "GET",
      path: "/",
      query: [],
      headers: { host: "example.amazonaws.com", "x-amz-date": "20150830T123600Z" },
      signedHeaders: ["host", "x-amz-date"],
      payloadHash: createHash("sha256").update("").digest("hex"),
      secretAccessKey: exampleKey.secretAccessKey,
      region: "us-east-1",
      service: "service",
      amzDate: "20150830T123600Z",
    });
    expect(vanillaAuthorization.endsWith(`Signature=${reference}`)).toBe(true);
  });

  it("signs host, content type, date, token and the body's sha256 for service lambda in the URL's region", async () => {
    const headers = await sign();
    const authorization = parseAuthorization(headers.authorization!);
    expect(authorization.credential).toBe("AKIDEXAMPLE/20260115/eu-west-1/lambda/aws4_request");
    expect(authorization.signedHeaders).toEqual(["content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"]);
    expect(headers["x-amz-date"]).toBe("20260115T083000Z");
    expect(headers["x-amz-security-token"]).toBe("session-token-example");
    expect(headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(body).digest("hex"));
    expect(headers.host).toBe(url.host);

    const reference = referenceSignature({
      method: "POST",
      path: "/classify",
      query: [["top_k", "3"]],
      headers,
      signedHeaders: authorization.signedHeaders,
      payloadHash: headers["x-amz-content-sha256"]!,
      secretAccessKey: credentials.secretAccessKey,
      region: "eu-west-1",
      service: "lambda",
      amzDate: headers["x-amz-date"]!,
    });
    expect(authorization.signature).toBe(reference);
  });

  it("is stable for the same request and date, and changes with the body or the region", async () => {
    const first = await sign();
    expect(await sign()).toEqual(first);
    const otherBody = await sign({ body: new Uint8Array([...body.slice(0, -1), 5]) });
    expect(otherBody["x-amz-content-sha256"]).not.toBe(first["x-amz-content-sha256"]);
    expect(parseAuthorization(otherBody.authorization!).signature).not.toBe(parseAuthorization(first.authorization!).signature);
    const otherRegion = await sign({ region: "us-east-1" });
    expect(parseAuthorization(otherRegion.authorization!).signature).not.toBe(parseAuthorization(first.authorization!).signature);
  });

  it("sends exactly the query it signed: RFC 3986 encoded, a form-encoded + read as a space", async () => {
    const spaced = new URL("https://abc123.lambda-url.eu-west-1.on.aws/classify?x=y z&a=b+c&top_k=3");
    const signed = await signRequest(
      { method: "POST", url: spaced, headers: { "content-type": "image/jpeg" }, body },
      { credentials, region: "eu-west-1", service: "lambda", signingDate },
    );
    expect(signed.url.search).toBe("?a=b%20c&top_k=3&x=y%20z");
    expect(signed.url.origin + signed.url.pathname).toBe(spaced.origin + spaced.pathname);
    const authorization = parseAuthorization(signed.headers.authorization!);
    const reference = referenceSignature({
      method: "POST",
      path: "/classify",
      query: queryAsReceived(signed.url.search.slice(1)),
      headers: signed.headers,
      signedHeaders: authorization.signedHeaders,
      payloadHash: signed.headers["x-amz-content-sha256"]!,
      secretAccessKey: credentials.secretAccessKey,
      region: "eu-west-1",
      service: "lambda",
      amzDate: signed.headers["x-amz-date"]!,
    });
    expect(authorization.signature).toBe(reference);
  });

  it("refuses to sign plain http except to loopback", async () => {
    const signFor = (href: string) =>
      signRequest({ method: "POST", url: new URL(href), headers: {}, body }, { credentials, region: "eu-west-1", signingDate });
    for (const href of ["http://abc123.lambda-url.eu-west-1.on.aws/classify", "http://example.com/", "http://10.0.0.1:9000/", "http://[::2]/", "http://localhost.example.com/"]) {
      await expect(signFor(href)).rejects.toThrow(InsecureSigningError);
      await expect(signFor(href)).rejects.toThrow(/refusing to SigV4-sign .* plain http .* replayable/);
    }
    for (const href of ["https://example.com/", "http://127.0.0.1:9000/", "http://127.45.6.7/", "http://[::1]:9000/", "http://LOCALHOST:9000/"]) {
      expect((await signFor(href)).headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    }
  });

  it("finds the region only in function URL hosts", () => {
    expect(functionUrlRegion("abc123.lambda-url.eu-central-1.on.aws")).toBe("eu-central-1");
    expect(functionUrlRegion("ABC123.LAMBDA-URL.US-EAST-1.ON.AWS")).toBe("us-east-1");
    expect(functionUrlRegion("127.0.0.1")).toBeUndefined();
    expect(functionUrlRegion("abc123.lambda-url.eu-central-1.on.aws.example.com")).toBeUndefined();
    expect(functionUrlRegion("lambda.us-east-1.amazonaws.com")).toBeUndefined();
  });
});

describe("content type from the file extension", () => {
  it("maps image extensions in any case and falls back to octet-stream", () => {
    expect(contentTypeForFile("a/photo.JPG")).toBe("image/jpeg");
    expect(contentTypeForFile("b.jpeg")).toBe("image/jpeg");
    expect(contentTypeForFile("c.png")).toBe("image/png");
    expect(contentTypeForFile("d.webp")).toBe("image/webp");
    expect(contentTypeForFile("e.tif")).toBe("image/tiff");
    expect(contentTypeForFile("noextension")).toBe("application/octet-stream");
  });
});

const run = promisify(execFile);
async function invokeCommand(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", invokeCli, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm run invoke", () => {
  let dir: string;
  let jpeg: string;
  let png: string;
  let text: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "invoke-test-"));
    jpeg = join(dir, "blue.jpg");
    png = join(dir, "red.png");
    text = join(dir, "note.txt");
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 20, g: 60, b: 220 } } }).jpeg().toFile(jpeg);
    await sharp({ create: { width: 64, height: 96, channels: 3, background: { r: 220, g: 30, b: 30 } } }).png().toFile(png);
    await writeFile(text, "not an image");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  describe("against the local server and the real handler", () => {
    let server: LocalFunctionUrl;
    beforeAll(async () => {
      server = await startLocalFunctionUrl({ handlerModule: realHandler, port: 0, functionOutput: "ignore", log: () => {} });
    });
    afterAll(() => server.close());

    it("prints each image's predictions as JSON with --json, top-k honoured", async () => {
      const result = await invokeCommand([jpeg, png, "--url", `${server.url}/classify`, "--top-k", "3", "--json"]);
      expect(result.code).toBe(0);
      const answers = JSON.parse(result.stdout);
      expect(answers.map((a: { file: string }) => a.file)).toEqual([jpeg, png]);
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
        const scores = answer.body.predictions.map((p: { score: number }) => p.score);
        expect(scores).toHaveLength(3);
        expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      }
    });

    it("prints a table per image, and reports a refused file with its error code and a non-zero exit", async () => {
      const result = await invokeCommand([jpeg, text, "--url", `${server.url}/classify`, "--top-k", "2"]);
      expect(result.code).toBe(1);
      const lines = result.stdout.split("\n");
      expect(lines[0]).toMatch(new RegExp(`^${jpeg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} → 200 \\(`));
      expect(lines[1]).toMatch(/^ {2}# {2}label\s+score$/);
      expect(lines[2]).toMatch(/^ {2}1 {2}\S+\s+0\.\d{4}$/);
      expect(lines[3]).toMatch(/^ {2}2 {2}\S+\s+0\.\d{4}$/);
      expect(result.stdout).toMatch(/note\.txt → 415 UNSUPPORTED_MEDIA_TYPE: /);
    });
  });

  it("sends a request whose SigV4 signature verifies against what arrived, using the default credential chain", async () => {
    const echo = await startLocalFunctionUrl({ handlerModule: echoHandler, port: 0, functionOutput: "ignore", log: () => {} });
    try {
      const result = await invokeCommand([jpeg, "--url", `${echo.url}/classify`, "--top-k", "4", "--region", "us-west-2", "--json"], signingEnvironment());
      expect(result.code).toBe(0);
      const { event } = JSON.parse(result.stdout)[0].body;
      const headers: Record<string, string> = event.headers;
      const authorization = parseAuthorization(headers.authorization!);
      expect(authorization.credential).toMatch(/^AKIDEXAMPLE\/\d{8}\/us-west-2\/lambda\/aws4_request$/);
      expect(headers["x-amz-security-token"]).toBe("token-from-env");
      const sent = Buffer.from(event.body, "base64");
      expect(headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(sent).digest("hex"));
      expect(authorization.signature).toBe(signatureOfWhatArrived(event, [...new URLSearchParams(event.rawQueryString)]));
    } finally {
      await echo.close();
    }
  });

  it("sends the query it signed when the URL's query has a + and a space", async () => {
    const echo = await startLocalFunctionUrl({ handlerModule: echoHandler, port: 0, functionOutput: "ignore", log: () => {} });
    try {
      const result = await invokeCommand(
        [jpeg, "--url", `${echo.url}/classify?a=b+c&x=y z`, "--top-k", "4", "--region", "us-west-2", "--json"],
        signingEnvironment(),
      );
      expect(result.code, result.stderr).toBe(0);
      const { event } = JSON.parse(result.stdout)[0].body;
      const headers: Record<string, string> = event.headers;
      expect(event.rawQueryString).toBe("a=b%20c&top_k=4&x=y%20z");
      const authorization = parseAuthorization(headers.authorization!);
      expect(authorization.signature).toBe(signatureOfWhatArrived(event, queryAsReceived(event.rawQueryString)));
    } finally {
      await echo.close();
    }
  });

  it.each([
    ["--region for a plain-http host that is not loopback", ["--url", "http://invoke-test.invalid/classify", "--region", "us-west-2"]],
    ["a function URL over plain http", ["--url", "http://abc123.lambda-url.eu-west-1.on.aws/classify"]],
  ])("refuses to sign %s: usage error, exit 2, nothing sent", async (_, args) => {
    const result = await invokeCommand([jpeg, ...args], {
      AWS_ACCESS_KEY_ID: exampleKey.accessKeyId,
      AWS_SECRET_ACCESS_KEY: exampleKey.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: "true",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing to SigV4-sign a request to http:\/\/[^:]+: over plain http .* Use https/);
    expect(result.stdout).toBe("");
  });
});
