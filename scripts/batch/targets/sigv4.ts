import { Sha256 } from "@aws-crypto/sha256-js";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

const LAMBDA_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/** The region of an AWS Lambda function URL host (IAM auth needs SigV4 for service "lambda"), else undefined. */
export function lambdaUrlRegion(url: URL): string | undefined {
  return LAMBDA_URL_HOST.exec(url.hostname)?.[1];
}

export type RequestSigner = (url: URL, method: string, headers: Record<string, string>, body: Uint8Array) => Promise<Record<string, string>>;

/** Signs requests for one region with the default AWS credential chain; returns the headers to send. */
export function createLambdaUrlSigner(region: string): RequestSigner {
  const signer = new SignatureV4({ service: "lambda", region, credentials: defaultProvider(), sha256: Sha256 });
  return async (url, method, headers, body) => {
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => (query[key] = value));
    const request = new HttpRequest({
      protocol: url.protocol,
      hostname: url.hostname,
      method,
      path: url.pathname,
      query,
      headers: { ...headers, host: url.hostname },
      body,
    });
    const signed = await signer.sign(request);
    return signed.headers;
  };
}
