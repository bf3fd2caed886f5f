import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientError } from "../handler/errors.js";
import { s3ClientConfig } from "../handler/s3-client.js";
import { functionS3Reader, isAllowed, parseAllowlist, parseS3Refs, S3Source } from "../handler/s3-source.js";
import { S3rverProcess } from "./support/s3rver.js";
import { noisePixels } from "./support/test-images.js";

async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ClientError);
  return error as ClientError;
}

describe("S3 allowlist", () => {
  it("parses buckets and bucket/prefix entries separated by commas", () => {
    expect(parseAllowlist(undefined)).toEqual([]);
    expect(parseAllowlist("")).toEqual([]);
    expect(parseAllowlist("photos,data/in/2024/,xyz")).toEqual([
      { bucket: "photos", prefix: "" },
      { bucket: "data", prefix: "in/2024/" },
      { bucket: "xyz", prefix: "" },
    ]);
  });

  it("parses the JSON list the stack sets, with an owner per entry", () => {
    expect(parseAllowlist('[{"bucket":"photos","prefix":"in/"},{"bucket":"partner","prefix":"","expectedBucketOwner":"444455556666"}]')).toEqual([
      { bucket: "photos", prefix: "in/" },
      { bucket: "partner", prefix: "", expectedBucketOwner: "444455556666" },
    ]);
    expect(parseAllowlist("[]")).toEqual([]);
  });

  it.each([
    ["photos, data/in/", /bucket name/],
    ["photos/in /", /whitespace/],
    [" , ", /bucket name/],
    ["photos,", /bucket name/],
    ["data/in/*", /\*/],
    ["data//in", /must not start with \//],
    ['[{"bucket":"photos","prefix":"a,other-bucket"}]', /,/],
    ['[{"bucket":"photos","prefix":"${var.x}"}]', /must not contain \$\{/],
    ['[{"bucket":"photos","extra":1}]', /extra|Unrecognized/i],
    ['[{"bucket":"photos","expectedBucketOwner":"12"}]', /12-digit/],
    ["[not json", /not valid JSON/],
  ])("refuses %j instead of guessing what it means", (value, message) => {
    expect(() => parseAllowlist(value)).toThrow(message);
  });

  it("matches a whole bucket or a key prefix, like an IAM resource bucket/prefix*", () => {
    const rules = parseAllowlist("photos,data/in/");
    expect(isAllowed({ bucket: "photos", key: "any/key.jpg" }, rules)).toBe(true);
    expect(isAllowed({ bucket: "data", key: "in/a.jpg" }, rules)).toBe(true);
    expect(isAllowed({ bucket: "data", key: "out/a.jpg" }, rules)).toBe(false);
    expect(isAllowed({ bucket: "data", key: "in" }, rules)).toBe(false);
    expect(isAllowed({ bucket: "photos-2", key: "a.jpg" }, rules)).toBe(false);
    expect(isAllowed({ bucket: "photos", key: "a.jpg" }, [])).toBe(false);
  });

  it("validates the s3 field of a request", () => {
    expect(parseS3Refs({ bucket: "abc", key: "k" })).toEqual({ refs: [{ bucket: "abc", key: "k" }], isList: false });
    expect(parseS3Refs([{ bucket: "abc", key: "k" }]).isList).toBe(true);
    for (const bad of [null, "s3://abc/k", { bucket: "abc" }, { bucket: "abc", key: "" }, [], { bucket: "abc", key: "k", extra: 1 }]) {
      expect(() => parseS3Refs(bad)).toThrow(ClientError);
    }
  });
});

describe("S3 client configuration", () => {
  it("leaves AWS S3 to the SDK's defaults and switches S3-compatible endpoints to path style and required checksums", () => {
    expect(s3ClientConfig({})).toEqual({});
    const compatible = {
      endpoint: "http://minio:9000",
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    };
    expect(s3ClientConfig({ AWS_ENDPOINT_URL_S3: "http://minio:9000" })).toEqual(compatible);
    expect(s3ClientConfig({ AWS_ENDPOINT_URL: "http://minio:9000" })).toEqual(compatible);
    expect(s3ClientConfig({ AWS_ENDPOINT_URL_S3: "http://minio:9000", AWS_ENDPOINT_URL: "http://other" }).endpoint).toBe("http://minio:9000");
    expect(s3ClientConfig({ AWS_ENDPOINT_URL_S3: "http://minio:9000", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" })).toEqual({});
    const explicit = s3ClientConfig({ AWS_ENDPOINT_URL_S3: "http://minio:9000", AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_SUPPORTED" });
    expect(explicit.requestChecksumCalculation).toBeUndefined();
    expect(explicit.responseChecksumValidation).toBe("WHEN_REQUIRED");
  });
});

describe("the function's S3 reader", () => {
  it("builds no S3 client when the handler's modules are imported", async () => {
    vi.resetModules();
    const created = vi.fn();
    vi.doMock("../handler/s3-client.js", async (importOriginal) => {
      const original = await importOriginal<typeof import("../handler/s3-client.js")>();
      return { ...original, createS3Client: (...args: Parameters<typeof original.createS3Client>) => (created(), original.createS3Client(...args)) };
    });
    try {
      await import("../handler/app.js");
      await import("../handler/s3-source.js");
      expect(created).not.toHaveBeenCalled();
    } finally {
      vi.doUnmock("../handler/s3-client.js");
      vi.resetModules();
    }
  });

  it("builds its client on the first S3 reference, once, with the configured allowlist", async () => {
    const client = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const createClient = vi.fn(() => client);
    try {
      const read = functionS3Reader({ s3InputAllowlist: parseAllowlist("images/allowed/"), s3MaxObjectBytes: 1 }, createClient);
      expect(createClient).not.toHaveBeenCalled();
      for (const key of ["private/a.jpg", "private/b.jpg"]) {
        const error = await rejection(read({ bucket: "images", key }));
        expect(error.code).toBe("S3_ACCESS_DENIED");
      }
      expect(createClient).toHaveBeenCalledTimes(1);
    } finally {
      client.destroy();
    }
  });
});

describe("S3Source against s3rver", () => {
  let s3: S3rverProcess;
  let client: S3Client;
  const image = Buffer.from(noisePixels(40, 30, 7));

  beforeAll(async () => {
    s3 = await S3rverProcess.start();
    client = s3.client();
    await s3.createBucket("images");
    await client.send(new PutObjectCommand({ Bucket: "images", Key: "allowed/a.bin", Body: image }));
    await client.send(new PutObjectCommand({ Bucket: "images", Key: "private/b.bin", Body: image }));
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.dispose();
  });

  const source = (allowlist: string, maxBytes = 1 << 20) => new S3Source({ client, allowlist: parseAllowlist(allowlist), maxBytes });

  it("reads an allowed object byte for byte", async () => {
    const bytes = await source("images/allowed/").read({ bucket: "images", key: "allowed/a.bin" });
    expect(Buffer.from(bytes).equals(image)).toBe(true);
  });

  it("refuses objects outside the allowlist, and everything when it is empty, before touching S3", async () => {
    const outside = await rejection(source("images/allowed/").read({ bucket: "images", key: "private/b.bin" }));
    expect([outside.code, outside.status]).toEqual(["S3_ACCESS_DENIED", 403]);
    expect(outside.message).toContain("s3://images/private/b.bin");
    const none = await rejection(source("").read({ bucket: "images", key: "allowed/a.bin" }));
    expect([none.code, none.status]).toEqual(["S3_ACCESS_DENIED", 403]);
    expect(none.message).toContain("S3_INPUT_ALLOWLIST");
  });

  it("answers 404 for a missing key or bucket", async () => {
    const key = await rejection(source("images,nobucket").read({ bucket: "images", key: "allowed/missing.jpg" }));
    expect([key.code, key.status]).toEqual(["S3_OBJECT_NOT_FOUND", 404]);
    expect(key.cause).toMatchObject({ name: "NoSuchKey" });
    const bucket = await rejection(source("images,nobucket").read({ bucket: "nobucket", key: "a.jpg" }));
    expect([bucket.code, bucket.status]).toEqual(["S3_OBJECT_NOT_FOUND", 404]);
  });

  it("answers 413 for an object over the size limit", async () => {
    const error = await rejection(source("images", image.length - 1).read({ bucket: "images", key: "allowed/a.bin" }));
    expect([error.code, error.status]).toEqual(["S3_OBJECT_TOO_LARGE", 413]);
    const exact = await source("images", image.length).read({ bucket: "images", key: "allowed/a.bin" });
    expect(exact.byteLength).toBe(image.length);
  });

  it("answers 502 when S3 cannot be reached", async () => {
    const unreachable = new S3Client({
      endpoint: "http://127.0.0.1:9", // discard port: nothing listens
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      forcePathStyle: true,
      maxAttempts: 1,
    });
    try {
      const reader = new S3Source({ client: unreachable, allowlist: parseAllowlist("images"), maxBytes: 1 << 20 });
      const error = await rejection(reader.read({ bucket: "images", key: "allowed/a.bin" }));
      expect([error.code, error.status]).toEqual(["S3_UNAVAILABLE", 502]);
      // The SDK's own error (here the refused connection) stays with it, for the log.
      expect(error.cause).toBeInstanceOf(Error);
      expect(error.cause).not.toBe(error);
    } finally {
      unreachable.destroy();
    }
  });
});

describe("ExpectedBucketOwner", () => {
  const recordingClient = () => {
    const sent: Record<string, unknown>[] = [];
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command.input);
        return { ContentLength: 3, Body: (async function* () { yield new Uint8Array([1, 2, 3]); })() };
      },
    } as unknown as S3Client;
    return { client, sent };
  };

  it("sends the entry's owner, else the function's, with every GetObject", async () => {
    const { client, sent } = recordingClient();
    const read = functionS3Reader(
      {
        s3InputAllowlist: parseAllowlist('[{"bucket":"photos","prefix":"in/"},{"bucket":"partner","expectedBucketOwner":"444455556666"}]'),
        s3MaxObjectBytes: 1 << 20,
        s3ExpectedBucketOwner: "111122223333",
      },
      () => client,
    );
    await read({ bucket: "photos", key: "in/a.jpg" });
    await read({ bucket: "partner", key: "b.jpg" });
    expect(sent).toEqual([
      { Bucket: "photos", Key: "in/a.jpg", ExpectedBucketOwner: "111122223333" },
      { Bucket: "partner", Key: "b.jpg", ExpectedBucketOwner: "444455556666" },
    ]);
  });

  it("asks for the version when a reader names one, and for the current object otherwise", async () => {
    const { client, sent } = recordingClient();
    const read = functionS3Reader({ s3InputAllowlist: parseAllowlist("photos"), s3MaxObjectBytes: 1 << 20 }, () => client);
    await read({ bucket: "photos", key: "a.jpg" }, "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo");
    await read({ bucket: "photos", key: "a.jpg" });
    expect(sent).toEqual([
      { Bucket: "photos", Key: "a.jpg", VersionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo" },
      { Bucket: "photos", Key: "a.jpg" },
    ]);
  });

  it("sends none when no owner is configured", async () => {
    const { client, sent } = recordingClient();
    const read = functionS3Reader({ s3InputAllowlist: parseAllowlist("photos"), s3MaxObjectBytes: 1 << 20 }, () => client);
    await read({ bucket: "photos", key: "a.jpg" });
    expect(sent).toEqual([{ Bucket: "photos", Key: "a.jpg" }]);
  });
});
