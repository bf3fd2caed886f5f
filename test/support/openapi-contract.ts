import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { UNKNOWN_PATH } from "../../handler/openapi/paths.js";

type Json = Record<string, any>;

// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module object.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as unknown as (
  ajv: Ajv2020,
) => Ajv2020;

/** The path item the document gives a request path: its own, or UNKNOWN_PATH for a path without a route. */
export function documentPathOf(document: Json, requestPath: string): string {
  const path = requestPath.split("?")[0]!;
  const normalised = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  return Object.hasOwn(document.paths, normalised) ? normalised : UNKNOWN_PATH;
}

/** Follows a `#/...` reference inside the document. */
export function resolveRef(document: Json, value: Json): Json {
  if (typeof value?.$ref !== "string") return value;
  return value.$ref
    .slice(2)
    .split("/")
    .reduce((node: Json, part: string) => node[part.replace(/~1/g, "/").replace(/~0/g, "~")], document);
}

/**
 * Validates response bodies against the document with ajv (draft 2020-12, strict): the schema of the route, method
 * and status, `#/components/...` references resolved within the document.
 */
export class ResponseContract {
  // strictRequired is off: `oneOf: [{required: ["image"]}, ...]` names properties declared beside it, which is valid.
  private readonly ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    // The document's components travel with each compiled schema, so its `#/components/...` references resolve.
    this.ajv.addKeyword({ keyword: "components" });
  }

  /** The response object for path, method and status; throws when the document has none. */
  responseOf(requestPath: string, method: string, status: number): Json {
    const path = documentPathOf(this.document, requestPath);
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`the document has no ${method} ${path}`);
    const response = operation.responses[String(status)];
    if (!response) throw new Error(`the document has no ${status} for ${method} ${path}`);
    return resolveRef(this.document, response);
  }

  /** A validator for any schema of the document (e.g. a component, or a response's). */
  compile(schema: Json): ValidateFunction {
    return this.ajv.compile({ ...schema, components: this.document.components });
  }

  /** Errors of `body` against the documented JSON body of that response; empty when it conforms. */
  check(requestPath: string, method: string, status: number, body: unknown): string[] {
    const key = `${documentPathOf(this.document, requestPath)} ${method.toLowerCase()} ${status}`;
    let validate = this.validators.get(key);
    if (!validate) {
      const schema = this.responseOf(requestPath, method, status).content?.["application/json"]?.schema;
      if (!schema) throw new Error(`the document gives no JSON body for ${key}`);
      validate = this.compile(schema);
      this.validators.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || "(body)"} ${error.message} ${JSON.stringify(error.params)}`);
  }
}
