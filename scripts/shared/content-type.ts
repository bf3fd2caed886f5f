import { extname } from "node:path";

const byExtension: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".avif": "image/avif",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".heic": "image/heic",
  ".heif": "image/heif",
  ".bmp": "image/bmp",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** The content type to send for a file, from its extension; unknown ones go as application/octet-stream. */
export function contentTypeForFile(path: string): string {
  return byExtension[extname(path).toLowerCase()] ?? "application/octet-stream";
}
