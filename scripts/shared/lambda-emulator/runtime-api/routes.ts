/** The Runtime API's paths (API version 2018-06-01), as AWS documents them. */
export type RuntimeRoute =
  | { kind: "next" }
  | { kind: "response"; requestId: string }
  | { kind: "invocation-error"; requestId: string }
  | { kind: "init-error" };

const prefix = "/2018-06-01/runtime/";
const routeMethods: Record<RuntimeRoute["kind"], string> = {
  next: "GET",
  response: "POST",
  "invocation-error": "POST",
  "init-error": "POST",
};

/** The route a request path names, or undefined when it names none (404). */
export function matchRoute(target: string): RuntimeRoute | undefined {
  const path = target.split("?", 1)[0]!;
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  if (rest === "invocation/next") return { kind: "next" };
  if (rest === "init/error") return { kind: "init-error" };
  const invocation = /^invocation\/([^/]+)\/(response|error)$/.exec(rest);
  if (!invocation) return undefined;
  let requestId: string;
  try {
    requestId = decodeURIComponent(invocation[1]!);
  } catch {
    return undefined;
  }
  return invocation[2] === "response" ? { kind: "response", requestId } : { kind: "invocation-error", requestId };
}

export const methodFor = (route: RuntimeRoute): string => routeMethods[route.kind];
