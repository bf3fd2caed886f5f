import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { createClassifyRoute } from "./classify-route.js";
import { remainingTimeOf } from "./deadline.js";
import type { Classifier } from "./classifier.js";
import type { Config } from "./config.js";
import { errorBody, isClientError } from "./errors.js";
import { resolveInlineSource, type ResolveImageSource } from "./image-sources.js";
import { createHealthRoute, createModelRoute } from "./info-routes.js";
import { createOpenApiRoute } from "./openapi/route.js";
import { wantsPage } from "./page/negotiation.js";
import { createPageRoute } from "./page/page-route.js";
import { bodySize, type HttpRequest, requestFromEvent } from "./request.js";
import { errorResponse, type HttpResponse, roundMs } from "./response.js";
import { handlerFor, methodsAt, type RouteTable } from "./routes.js";
import type { RouteMeasurements, Telemetry } from "./telemetry.js";

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
    "/openapi.json": { GET: createOpenApiRoute({ manifest: classifier.manifest, config }) },
  };
  // Not in the route table: GET / is the page only for a browser; for an API client "/" stays POST-only (405).
  const page = createPageRoute(classifier.manifest, config);
  let invocations = 0;

  return async (event, context) => {
    const startedAt = performance.now();
    const coldStart = invocations++ === 0;
    // Lambda's id for the invocation; the function URL's own id is the event's, when the event is one.
    const invocationId = context?.awsRequestId ?? "";
    const measurements: RouteMeasurements = {};
    let request: HttpRequest | undefined;
    let route = "unmatched";
    let response: HttpResponse;
    let errorCode: string | undefined;
    try {
      request = requestFromEvent(event, invocationId);
      const methods = methodsAt(routes, request.path);
      if (methods) route = `${request.method} ${request.path}`;
      const handle = wantsPage(request) ? page : handlerFor(methods, request);
      const remainingMs = remainingTimeOf(context);
      response = await handle({
        request,
        startedAt,
        coldStart,
        measured: (values) => Object.assign(measurements, values),
        ...(remainingMs ? { remainingMs } : {}),
      });
    } catch (error) {
      const requestId = request?.requestId ?? invocationId;
      if (isFault(error)) telemetry.recordFault(error, requestId);
      errorCode = errorBody(error).code;
      response = errorResponse(error, requestId);
    }
    telemetry.recordRequest(
      {
        requestId: request?.requestId ?? invocationId,
        invocationId,
        method: request?.method ?? "",
        route,
        status: response.statusCode,
        coldStart,
        bytes: request ? bodySize(request) : 0,
        ...measurements,
        totalMs: roundMs(performance.now() - startedAt),
        ...(errorCode ? { errorCode } : {}),
      },
      context,
    );
    return response;
  };
}

/**
 * Errors whose details belong in the log: anything that is not a client error, and a 5xx client error that carries
 * the library's own error (S3_UNAVAILABLE: the SDK's error says what failed).
 */
function isFault(error: unknown): boolean {
  return !isClientError(error) || (error.status >= 500 && error.cause !== undefined);
}
