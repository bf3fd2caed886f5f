import { errorBodySchemaFor, errorCodes } from "../contract/error-body.js";
import { type ErrorCode, errorStatus } from "../errors.js";
import { type ComponentNames, jsonSchemaOf } from "./json-schema.js";

/** Headers that belong to an error code's response (routes.ts sets `Allow` on 405). */
const errorHeaders: Partial<Record<ErrorCode, Record<string, unknown>>> = {
  METHOD_NOT_ALLOWED: {
    Allow: { description: "The methods this path accepts, e.g. `POST`.", required: true, schema: { type: "string" } },
  },
};

/** errors.ts's codes grouped by status, in the table's order. */
export function codesByStatus(codes: readonly ErrorCode[] = errorCodes): Map<number, [ErrorCode, ...ErrorCode[]]> {
  const groups = new Map<number, [ErrorCode, ...ErrorCode[]]>();
  for (const code of codes) {
    const status = errorStatus[code];
    const group = groups.get(status);
    if (group) group.push(code);
    else groups.set(status, [code]);
  }
  return groups;
}

export const errorResponseName = (status: number) => `Error${status}`;

export const errorResponseRef = (status: number) => ({ $ref: `#/components/responses/${errorResponseName(status)}` });

/** One response per error status (`Error400`, ...): the error body with `code` enumerated to that status's codes. */
export function errorResponses(components: ComponentNames): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of codesByStatus()) {
    const headers = Object.assign({}, ...codes.map((code) => errorHeaders[code] ?? {}));
    responses[errorResponseName(status)] = {
      description: `Error ${codes.join(", ")}.`,
      ...(Object.keys(headers).length ? { headers } : {}),
      content: { "application/json": { schema: jsonSchemaOf(errorBodySchemaFor(codes), { io: "output", components }) } },
    };
  }
  return responses;
}

/** `responses` entries for the statuses of `codes`, each a reference to its errorResponses() entry. */
export function errorResponseRefs(codes: readonly ErrorCode[]): Record<string, unknown> {
  return Object.fromEntries([...codesByStatus(codes).keys()].map((status) => [String(status), errorResponseRef(status)]));
}
