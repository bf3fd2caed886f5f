import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { createHandler } from "./app.js";
import { loadConfig } from "./config.js";
import { createDirectHandler, type DirectAnswer } from "./direct/handler.js";
import { isFunctionUrlEvent } from "./direct/recognise.js";
import { initialise } from "./initialise.js";
import type { HttpResponse } from "./response.js";

// Initialisation runs once per execution environment, at module load (top-level await), so provisioned-concurrency
// environments have the session open and warmed up before their first request.
const initStartedAt = performance.now();
const config = loadConfig();
const { telemetry, classifier, readS3Object, resolveSource } = await initialise(config, initStartedAt);

const functionUrlHandler = createHandler({ config, classifier, telemetry, resolveSource });
const directHandler = createDirectHandler({ config, classifier, telemetry, readObject: readS3Object, resolveSource });

/** Function URL requests (payload format 2.0) get an HTTP response; direct invocations their own answer. */
export interface EntryPoint {
  (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse>;
  (event: unknown, context?: Context): Promise<DirectAnswer>;
}

/**
 * The Lambda entry point: function URL requests go to the URL handler (one cheap check); Distributed Map batches,
 * S3 Batch Operations tasks and plain Lambda API invocations to the direct handler (handler/direct/).
 */
export const handler = ((event: unknown, context?: Context) =>
  isFunctionUrlEvent(event) ? functionUrlHandler(event as APIGatewayProxyEventV2, context) : directHandler(event, context)) as EntryPoint;
