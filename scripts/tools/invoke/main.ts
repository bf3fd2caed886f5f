import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { contentTypeForFile } from "../../shared/content-type.js";
import { type InvokeResult, formatResult } from "./format.js";
import { functionUrlRegion, signingRefusal, signRequest } from "../../shared/sigv4.js";

const usage = `Usage: npm run invoke -- IMAGE… [--url URL] [--top-k K] [--json] [--region REGION]

POSTs each image (content type from its extension) to a function URL and prints the predictions.

  --url URL        function URL to call (env FUNCTION_URL, default http://127.0.0.1:9000/classify)
  --top-k K        how many predictions to ask for (query top_k)
  --json           print the answers as JSON instead of tables
  --region REGION  sign with SigV4 for this region even if the host is not *.lambda-url.<region>.on.aws
                   (https only; plain http is signed only for loopback: 127.0.0.0/8, ::1, localhost)
  -h, --help       show this help

An AWS function URL (https://<url-id>.lambda-url.<region>.on.aws) is signed with SigV4 (service lambda, region from
the host) using the default AWS credential chain: environment, shared config/credentials files and SSO profiles
(AWS_PROFILE), web identity, ECS/EC2 instance roles.`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: "string" },
      "top-k": { type: "string" },
      json: { type: "boolean", default: false },
      region: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
try {
  parsed = parse();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const { values, positionals: files } = parsed;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (files.length === 0) fail("Give at least one image file.");

let url: URL;
try {
  url = new URL(values.url ?? process.env.FUNCTION_URL ?? "http://127.0.0.1:9000/classify");
} catch {
  fail(`Not a URL: ${values.url}`);
}
if (values["top-k"] !== undefined) {
  if (!/^\d+$/.test(values["top-k"])) fail(`--top-k must be a positive integer, got "${values["top-k"]}"`);
  url.searchParams.set("top_k", values["top-k"]);
}
const region = values.region ?? functionUrlRegion(url.hostname);
if (region) {
  const refusal = signingRefusal(url);
  if (refusal) fail(refusal);
}
const credentials = region
  ? (await import("@aws-sdk/credential-provider-node")).defaultProvider()
  : undefined;

async function invoke(file: string): Promise<InvokeResult> {
  const body = new Uint8Array(await readFile(file));
  let request = { url, headers: { "content-type": contentTypeForFile(file) } as Record<string, string> };
  if (region && credentials) {
    request = await signRequest({ method: "POST", url, headers: request.headers, body }, { credentials, region, service: "lambda" });
    delete request.headers.host; // fetch sets Host from the URL, which is what was signed.
  }
  const response = await fetch(request.url, { method: "POST", headers: request.headers, body });
  const text = await response.text();
  let parsedBody: unknown = text;
  try {
    parsedBody = JSON.parse(text);
  } catch {
    // Not JSON (a function URL's 502 is plain text): keep the text.
  }
  return { file, status: response.status, requestId: response.headers.get("x-amzn-requestid") ?? undefined, body: parsedBody };
}

const results: InvokeResult[] = [];
for (const file of files) {
  try {
    const result = await invoke(file);
    results.push(result);
    if (!values.json) console.log(formatResult(result));
  } catch (error) {
    const message = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
    results.push({ file, status: 0, requestId: undefined, body: { error: { code: "CLIENT_ERROR", message } } });
    if (!values.json) console.error(`${file} → ${message}`);
  }
}
if (values.json) console.log(JSON.stringify(results, null, 2));
process.exitCode = results.every((result) => result.status >= 200 && result.status < 300) ? 0 : 1;
