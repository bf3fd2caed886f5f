import busboy from "busboy";
import { ClientError } from "./errors.js";

export interface MultipartFile {
  field: string;
  filename: string | undefined;
  /** The part's declared content type (the client's word, not sniffed). */
  mimeType: string;
  bytes: Buffer;
}

export interface MultipartLimits {
  maxFiles: number;
  maxFileBytes: number;
}

/** Non-file fields are ignored, but a form may not smuggle in unlimited parts. */
const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 64 * 1024;

/**
 * The file parts of a multipart/form-data body, in order. A part is a file when it has a filename or is declared
 * application/octet-stream (busboy's rule). Malformed bodies → INVALID_MULTIPART; too many files → TOO_MANY_IMAGES.
 */
export function readMultipartFiles(body: Buffer, contentTypeHeader: string, limits: MultipartLimits): Promise<MultipartFile[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": contentTypeHeader },
        limits: {
          files: limits.maxFiles,
          fileSize: limits.maxFileBytes,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: limits.maxFiles + MAX_FIELDS,
        },
      });
    } catch (error) {
      reject(new ClientError("INVALID_MULTIPART", `invalid multipart/form-data request: ${(error as Error).message}`, { cause: error }));
      return;
    }

    const files: MultipartFile[] = [];
    let failure: ClientError | undefined;
    const fail = (error: ClientError) => {
      failure ??= error;
    };

    parser.on("file", (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      // A truncated form errors the open file stream too; unhandled, that would crash the process.
      stream.on("error", () => fail(new ClientError("INVALID_MULTIPART", `file part "${field}" ends before its boundary`)));
      stream.on("limit", () =>
        fail(new ClientError("PAYLOAD_TOO_LARGE", `file part "${field}" is over the limit of ${limits.maxFileBytes} bytes`)),
      );
      stream.on("end", () => {
        files.push({
          field,
          filename: info.filename,
          mimeType: info.mimeType.toLowerCase(),
          bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        });
      });
    });
    parser.on("field", () => {});
    parser.on("filesLimit", () =>
      fail(new ClientError("TOO_MANY_IMAGES", `at most ${limits.maxFiles} images per request`)),
    );
    parser.on("fieldsLimit", () =>
      fail(new ClientError("INVALID_MULTIPART", `at most ${MAX_FIELDS} non-file fields per request`)),
    );
    parser.on("partsLimit", () => fail(new ClientError("INVALID_MULTIPART", "too many parts in the form")));
    parser.on("error", (error: Error) =>
      reject(failure ?? new ClientError("INVALID_MULTIPART", `invalid multipart/form-data body: ${error.message}`)),
    );
    parser.on("close", () => (failure ? reject(failure) : resolve(files)));
    parser.end(body);
  });
}
