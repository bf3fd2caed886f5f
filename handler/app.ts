import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { createClassifyRoute } from "./classify-route.js";
import type { Classifier } from "./classifier.js";
import type { Config } from "./config.js";
import { errorBody, isClientError } from "./errors.js";
import { resolveInlineSource, type ResolveImageSource } from "./image-sources.js";
import { createHealthRoute, createModelRoute } from "./info-routes.js";
import { bodySize, type HttpRequest, requestFromEvent } from "./request.js";
import { errorResponse, type HttpResponse, roundMs } from "./response.js";
import { matchRoute, type RouteTable } from "./routes.js";
import type { RequestRecord, Telemetry } from "./telemetry.js";

export interface HandlerDependencies {
  config: Config;
  classifier: Classifier;
  telemetry: Telemetry;
  /** How image sources become bytes; default: inline sources only (raw, multipart, base64). */
  resolveSource?: ResolveImageSource;
  /** `AWS_LAMBDA_INITIALIZATION_TYPE`: on-demand, provisioned-concurrency, snap-start, or "local". */
  initializationType?: string;
}

export type FunctionUrlHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

/**
 * The function-URL handler around an already loaded classifier. Everything that can be done once happens here,
 * not per request. Whatever the event holds, the handler answers: client mistakes with their 4xx, anything else
 * with a 500 INTERNAL_ERROR whose details go to the log only.
 */
export function createHandler(dependencies: HandlerDependencies): FunctionUrlHandler {
  const { config, classifier, telemetry } = dependencies;
  const initializationType = dependencies.initializationType ?? process.env.AWS_LAMBDA_INITIALIZATION_TYPE ?? "unknown";
  const classify = createClassifyRoute({ classifier, config, resolveSource: dependencies.resolveSource ?? resolveInlineSource });
  const routes: RouteTable = {
    "/": { POST: classify },
    "/classify": { POST: classify },
    "/health": { GET: createHealthRoute(classifier, initializationType) },
    "/model": { GET: createModelRoute(classifier) },
  };
  let invocations = 0;

  return async (event, context) => {
    const startedAt = performance.now();
    const coldStart = invocations++ === 0;
    const record: RequestRecord = {
      requestId: context?.awsRequestId ?? "",
      invocationId: context?.awsRequestId ?? "",
      method: "",
      route: "unmatched",
      status: 0,
      coldStart,
      bytes: 0,
      totalMs: 0,
    };
    let response: HttpResponse;
    try {
      const request: HttpRequest = requestFromEvent(event, record.requestId);
      record.requestId = request.requestId;
      record.method = request.method;
      record.bytes = bodySize(request);
      if (Object.hasOwn(routes, request.path)) record.route = `${request.method} ${request.path}`;
      const route = matchRoute(routes, request);
      const remainingMs = typeof context?.getRemainingTimeInMillis === "function" ? () => context.getRemainingTimeInMillis() : undefined;
      response = await route({ request, record, startedAt, coldStart, ...(remainingMs ? { remainingMs } : {}) });
    } catch (error) {
      if (!isClientError(error)) telemetry.recordFault(error, record.requestId);
      record.errorCode = errorBody(error).code;
      response = errorResponse(error, record.requestId);
    }
    record.status = response.statusCode;
    record.totalMs = roundMs(performance.now() - startedAt);
    telemetry.recordRequest(record, context);
    return response;
  };
}
