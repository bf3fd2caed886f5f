import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionUrlHandler } from "../handler/app.js";
import { functionUrlEvent, lambdaContext } from "./support/function-url-event.js";
import { capturedWrites, handlerWithTelemetry } from "./support/telemetry-handler.js";
import { multipartBody, testImage } from "./support/test-images.js";

// SECURITY.md promises logs without image data or secrets. At the most verbose level, send requests that carry
// credentials in every place a client can put them, and look for them in everything the function writes.
const secrets = {
  authorization: "AWS4-HMAC-SHA256 Credential=AKIASECRETKEYID0001/20260101/us-east-1/lambda/aws4_request, Signature=5ec7e75ec7e7",
  token: "IQoJb3JpZ2luX2VjSECRETSESSIONTOKEN",
  cookie: "session=COOKIESECRET123",
  query: "QUERYSECRET456",
  apiKey: "APIKEYSECRET789",
};
let handler: FunctionUrlHandler;
let close: () => Promise<void>;
let image: Buffer;

beforeAll(async () => {
  ({ handler, close } = await handlerWithTelemetry({ POWERTOOLS_LOG_LEVEL: "TRACE" }));
  image = await testImage("png", 40, 30, 17);
});

afterAll(async () => {
  await close?.();
});

/** Everything written to stdout and stderr while `action` runs. */
const capturedOutput = (action: () => Promise<unknown>) => capturedWrites([process.stdout, process.stderr], action);

describe("logs", () => {
  it("hold neither credentials nor image data, whatever the request carries and however it ends", async () => {
    const headers = {
      authorization: secrets.authorization,
      "x-amz-security-token": secrets.token,
      "x-api-key": secrets.apiKey,
      cookie: secrets.cookie,
    };
    const base64 = image.toString("base64");
    const form = await multipartBody([{ bytes: image, type: "image/png", filename: "secret-name.png" }]);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>SVGSECRETTEXT</text></svg>';
    const requests = [
      { body: image, type: "image/png", path: `/classify?token=${secrets.query}` },
      { body: JSON.stringify({ image: base64 }), type: "application/json", path: "/classify" },
      { body: JSON.stringify({ images: [base64, "!!notbase64!!", ""] }), type: "application/json", path: "/classify" },
      { body: form.body, type: form.contentType, path: "/classify" },
      { body: svg, type: "image/svg+xml", path: "/classify" },
      { body: image.subarray(0, 60), type: "image/png", path: `/classify?top_k=${secrets.query}` },
      { body: JSON.stringify({ [secrets.apiKey]: base64 }), type: "application/json", path: "/classify" },
    ];
    const statuses: number[] = [];
    const output = await capturedOutput(async () => {
      for (const request of requests) {
        const event = functionUrlEvent({ method: "POST", path: request.path, headers: { ...headers, "content-type": request.type }, body: request.body });
        statuses.push((await handler(event, lambdaContext())).statusCode);
      }
    });
    expect(statuses).toEqual([200, 200, 200, 200, 415, 400, 400]);
    // The requests were logged …
    expect(output.match(/"message":"request"/g)).toHaveLength(requests.length);
    // … without any of what they carried.
    for (const secret of [...Object.values(secrets), "AKIASECRETKEYID0001", "COOKIESECRET123", "SVGSECRETTEXT", "secret-name.png"]) {
      expect(output).not.toContain(secret);
    }
    for (let at = 0; at + 24 <= base64.length; at += 200) expect(output).not.toContain(base64.slice(at, at + 24));
    expect(output).not.toContain(image.subarray(8, 40).toString("latin1"));
  });
});
