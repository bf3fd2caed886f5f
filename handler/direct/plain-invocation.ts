import { createClassifyRoute } from "../classify-route.js";
import type { Classifier } from "../classifier.js";
import type { Config } from "../config.js";
import type { z } from "zod";
import type { classifyResponseSchema } from "../contract/classify-response.js";
import type { ErrorDetail } from "../contract/error-body.js";
import { isClientError } from "../errors.js";
import type { ResolveImageSource } from "../image-sources.js";
import { parseContentType } from "../request.js";
import { plainInvocationSchema, parseEvent } from "./events.js";

export interface PlainInvocationDependencies {
  classifier: Classifier;
  config: Pick<Config, "topKDefault" | "maxBodyBytes" | "maxBatchImages">;
  resolveSource: ResolveImageSource;
}

/** POST /classify's 200 body (`{model, predictions | results, timings}`), or a client mistake's error. */
export type PlainAnswer = z.infer<typeof classifyResponseSchema> | { error: ErrorDetail };

const JSON_TYPE = "application/json";

/**
 * A plain Lambda API invocation: POST /classify's JSON body (`{"s3": …}`, `{"images": […]}` or `{"image": …}`) with
 * an optional `topK`. It goes through the classify route itself, so it gets the same validation, limits and answer;
 * a client mistake is answered as `{"error": {code, message}}`, not thrown.
 */
export function createPlainInvocationHandler({ classifier, config, resolveSource }: PlainInvocationDependencies) {
  const classify = createClassifyRoute({ classifier, config, resolveSource });
  return async (event: unknown, requestId: string, remainingMs?: () => number): Promise<PlainAnswer> => {
    const { topK, ...body } = parseEvent(plainInvocationSchema, event, "plain invocation");
    try {
      const response = await classify({
        request: {
          requestId,
          method: "POST",
          path: "/classify",
          headers: { "content-type": JSON_TYPE },
          query: topK === undefined ? {} : { top_k: String(topK) },
          contentType: parseContentType(JSON_TYPE),
          body: { text: JSON.stringify(body), isBase64Encoded: false },
        },
        startedAt: performance.now(),
        coldStart: false,
        measured: () => {},
        ...(remainingMs && { remainingMs }),
      });
      return JSON.parse(response.body) as PlainAnswer;
    } catch (error) {
      if (isClientError(error)) return { error: { code: error.code, message: error.message } };
      throw error;
    }
  };
}
