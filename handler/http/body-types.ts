/**
 * Whether a function URL passes a request body to the function as text (UTF-8 string) or as base64.
 * Text: text/*, JSON, XML, JavaScript and YAML media types (including +json / +xml suffixes).
 * Everything else, a missing content type and form-urlencoded bodies included, arrives base64-encoded.
 */
const textMediaTypes = new Set([
  "application/json",
  "application/xml",
  "application/javascript",
  "application/ecmascript",
  "application/x-javascript",
  "application/yaml",
  "application/x-yaml",
  "application/graphql",
]);

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

export function isTextMediaType(contentType: string | undefined): boolean {
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === "") return false;
  if (mediaType.startsWith("text/")) return true;
  if (mediaType.endsWith("+json") || mediaType.endsWith("+xml")) return true;
  return textMediaTypes.has(mediaType);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The event's body fields for the given bytes: text stays text only when it is valid UTF-8. */
export function encodeEventBody(
  bytes: Uint8Array,
  contentType: string | undefined,
): { body: string; isBase64Encoded: boolean } {
  if (isTextMediaType(contentType)) {
    try {
      return { body: strictUtf8.decode(bytes), isBase64Encoded: false };
    } catch {
      // Bytes that are not UTF-8 cannot travel as a JSON string without loss.
    }
  }
  return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"), isBase64Encoded: true };
}
