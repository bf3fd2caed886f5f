import type { HttpRequest } from "../request.js";

interface MediaRange {
  type: string;
  quality: number;
}

/** The media ranges of an Accept header with their q-values (1 when absent; unreadable values count as 0). */
function mediaRanges(accept: string): MediaRange[] {
  return accept.split(",").map((item) => {
    const [type = "", ...parameters] = item.split(";");
    let quality = 1;
    for (const parameter of parameters) {
      const [name, value] = parameter.split("=").map((part) => part.trim());
      if (name?.toLowerCase() === "q") quality = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value ?? "") ? Number(value) : 0;
    }
    return { type: type.trim().toLowerCase(), quality };
  });
}

/** The q-value the most specific matching range gives `mediaType` (exact, then the type's wildcard, then the full wildcard); 0 if none. */
function qualityOf(ranges: readonly MediaRange[], mediaType: string): number {
  const [major] = mediaType.split("/");
  for (const candidate of [mediaType, `${major}/*`, "*/*"]) {
    const range = ranges.find((item) => item.type === candidate);
    if (range) return range.quality;
  }
  return 0;
}

/**
 * True when the client asks for HTML more than for JSON: `text/html` named explicitly (a wildcard alone never
 * counts, so curl and fetch, which send the full wildcard, stay API clients) with a higher q-value than `application/json` gets.
 * A tie goes to JSON, so an API client that lists both keeps today's answers.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = mediaRanges(accept);
  const html = ranges.find((range) => range.type === "text/html")?.quality ?? 0;
  return html > 0 && html > qualityOf(ranges, "application/json");
}

/** `GET /` from a browser: the page. Every other request, `GET /` from an API client included, goes to the routes. */
export function wantsPage(request: HttpRequest): boolean {
  return request.method === "GET" && request.path === "/" && prefersHtml(request.headers.accept);
}
