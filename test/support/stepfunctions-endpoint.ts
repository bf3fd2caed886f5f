import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { S3Client } from "@aws-sdk/client-s3";
import { BatchOperationsService } from "./aws-batch/batch-operations.js";
import { LocalLambda } from "./aws-batch/local-lambda.js";
import { ApiError, StepFunctionsService } from "./aws-batch/step-functions.js";

/**
 * The AWS side of `npm run batch --target stepfunctions|s3-batch-operations`, for tests: a node:http server that
 * answers the SDK's Step Functions (JSON 1.0) and S3 Control (REST-XML CreateJob/DescribeJob) calls and runs the
 * state machine's Choice + Distributed Map (ItemReader, ItemBatcher, MaxConcurrency, Retry, tolerated failures,
 * ResultWriter) and Batch Operations jobs against the REAL function over s3rver. Not AWS: no IAM, no history, one
 * map run per execution, Retry waits multiplied by `timeScale`.
 */
export interface AwsBatchEndpointOptions {
  /** State machine ARN → ASL definition (infra/batch/state-machine-definition.ts's). */
  stateMachines: Record<string, Record<string, unknown>>;
  /** s3rver, for the readers, the writers and the function. */
  s3: S3Client;
  /** Environment of the function's execution environments (S3 endpoint, S3_INPUT_ALLOWLIST, …). */
  functionEnv: NodeJS.ProcessEnv;
  /** Execution environments of the function (default 2). */
  functionConcurrency?: number;
  /** Multiplies Retry waits (default 0.01: a 2 s interval waits at most 20 ms). */
  timeScale?: number;
}

export interface AwsBatchEndpoint {
  url: string;
  /** Points the SDK's Step Functions and S3 Control clients here (AWS_ENDPOINT_URL_SFN / _S3_CONTROL). */
  env: Record<string, string>;
  lambda: LocalLambda;
  stepFunctions: StepFunctionsService;
  batchOperations: BatchOperationsService;
  /** Whether ended executions are redrivable (default true); false makes --resume start a new execution. */
  redrivable: boolean;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startAwsBatchEndpoint(options: AwsBatchEndpointOptions): Promise<AwsBatchEndpoint> {
  const lambda = await LocalLambda.start(options.functionEnv, options.functionConcurrency ?? 2);
  const endpoint = { redrivable: true } as AwsBatchEndpoint;
  const stepFunctions = new StepFunctionsService(new Map(Object.entries(options.stateMachines)), {
    s3: options.s3,
    lambda,
    timeScale: options.timeScale ?? 0.01,
    redrivable: () => endpoint.redrivable,
  });
  const batchOperations = new BatchOperationsService(options.s3, lambda, options.functionConcurrency ?? 2);

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const target = request.headers["x-amz-target"];
    if (typeof target === "string" && target.startsWith("AWSStepFunctions.")) {
      try {
        const result = stepFunctions.handle(target.slice("AWSStepFunctions.".length), JSON.parse(body || "{}"));
        response.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end(JSON.stringify(result));
      } catch (error) {
        const type = error instanceof ApiError ? error.type : "InternalFailure";
        response.writeHead(error instanceof ApiError ? 400 : 500, { "content-type": "application/x-amz-json-1.0" }).end(JSON.stringify({ __type: type, message: (error as Error).message }));
      }
      return;
    }
    const job = /^\/v20180820\/jobs(?:\/([^/?]+))?/.exec(request.url ?? "");
    if (job && request.method === "POST" && !job[1]) {
      const id = await batchOperations.createJob(body);
      response.writeHead(200, { "content-type": "application/xml" }).end(`<?xml version="1.0" encoding="UTF-8"?><CreateJobResult><JobId>${id}</JobId></CreateJobResult>`);
      return;
    }
    const described = job?.[1] && request.method === "GET" ? batchOperations.describeJob(job[1]) : undefined;
    if (described) return void response.writeHead(200, { "content-type": "application/xml" }).end(described);
    response.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NotFound</Code><Message>not implemented by the test endpoint</Message></Error>");
  };
  const server = createServer((request, response) => {
    answer(request, response).catch((error: Error) => response.writeHead(500).end(error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(endpoint, {
    url,
    env: { AWS_ENDPOINT_URL_SFN: url, AWS_ENDPOINT_URL_S3_CONTROL: url },
    lambda,
    stepFunctions,
    batchOperations,
    async close() {
      await stepFunctions.settled();
      await batchOperations.settled();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await lambda.close();
    },
  });
}
