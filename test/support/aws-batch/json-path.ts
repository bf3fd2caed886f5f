/** The small part of Amazon States Language paths the batch state machine uses: `$`, `$.a.b`, and `"name.$"` keys. */
export function readPath(value: unknown, path: string): unknown {
  if (path === "$") return value;
  if (!path.startsWith("$.")) throw new Error(`unsupported path ${path}`);
  let current: unknown = value;
  for (const part of path.slice(2).split(".")) {
    if (typeof current !== "object" || current === null || !(part in current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Parameters / BatchInput: `"key.$": "$.path"` takes the value at the path; other keys are copied. */
export function resolveParameters(template: Record<string, unknown>, input: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$")) {
      const resolved = readPath(input, String(value));
      if (resolved === undefined) throw Object.assign(new Error(`The JSONPath '${value}' specified for the field '${key}' could not be found in the input`), { name: "States.Runtime" });
      out[key.slice(0, -2)] = resolved;
    } else out[key] = typeof value === "object" && value !== null && !Array.isArray(value) ? resolveParameters(value as Record<string, unknown>, input) : value;
  }
  return out;
}
