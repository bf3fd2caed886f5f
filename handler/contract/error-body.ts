import { z } from "zod";
import { type ErrorCode, errorStatus, MAX_ERROR_MESSAGE_LENGTH } from "../errors.js";

/** Every code of errors.ts's table, in its order: a new code there is a new value here. */
export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

export const errorCodeSchema = z.enum(errorCodes);

/** `{"code", "message"}`: the error of a request, or of one image in a batch. */
export const errorDetailSchema = z.object({
  code: errorCodeSchema,
  message: z.string().max(MAX_ERROR_MESSAGE_LENGTH),
});

/** The body of every error response. */
export const errorBodySchema = z.object({
  error: errorDetailSchema,
  /** The function URL's request id (Lambda's invocation id when the event is not a function URL event). */
  requestId: z.string(),
});

/** The error body narrowed to some codes (e.g. those of one status). */
export function errorBodySchemaFor(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return errorBodySchema.extend({ error: errorDetailSchema.extend({ code: errorCodeSchema.extract(codes) }) });
}

export type ErrorDetail = z.infer<typeof errorDetailSchema>;
export type ErrorResponseBody = z.infer<typeof errorBodySchema>;
