import { describe, expect, it } from "vitest";
import { type ClientError, errorStatus } from "../handler/errors.js";
import { readImageSources } from "../handler/image-sources.js";
import { requestFromEvent } from "../handler/request.js";
import { MAX_S3_REFS, parseS3Refs } from "../handler/s3-source.js";
import { functionUrlEvent } from "./support/function-url-event.js";

const limits = { maxBodyBytes: 6 * 1024 * 1024, maxBatchImages: 16 };

/** `count` invalid `{}` entries behind Proxies that count every look at them (property reads, key listings, …). */
function watchedEntries(count: number): { entries: object[]; looks: () => number } {
  let looks = 0;
  const look = <T>(result: T): T => {
    looks++;
    return result;
  };
  const traps: ProxyHandler<object> = {
    get: (target, property, receiver) => look(Reflect.get(target, property, receiver)),
    has: (target, property) => look(Reflect.has(target, property)),
    ownKeys: (target) => look(Reflect.ownKeys(target)),
    getOwnPropertyDescriptor: (target, property) => look(Reflect.getOwnPropertyDescriptor(target, property)),
    getPrototypeOf: (target) => look(Reflect.getPrototypeOf(target)),
  };
  const watched = new Proxy({}, traps);
  return { entries: Array.from({ length: count }, () => watched), looks: () => looks };
}

function thrown(action: () => unknown): ClientError {
  try {
    action();
  } catch (error) {
    return error as ClientError;
  }
  throw new Error("expected a ClientError");
}

async function jsonBodyError(body: string): Promise<ClientError> {
  const event = functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": "application/json" }, body });
  return readImageSources(requestFromEvent(event, "test"), limits).then(
    () => {
      throw new Error("expected the request to be refused");
    },
    (error: ClientError) => error,
  );
}

describe("an s3 list is counted before any entry is validated", () => {
  it.each([
    ["maxBatchImages + 1", limits.maxBatchImages + 1, limits.maxBatchImages],
    ["MAX_S3_REFS + 1", MAX_S3_REFS + 1, MAX_S3_REFS],
    ["2 million", 2_000_000, limits.maxBatchImages],
  ])("%s invalid entries are TOO_MANY_IMAGES without a look at any entry", (_, count, maxRefs) => {
    const { entries, looks } = watchedEntries(count);
    const error = thrown(() => parseS3Refs(entries, maxRefs));
    expect(error.code).toBe("TOO_MANY_IMAGES");
    expect(error.message).toBe(`${count} images; at most ${Math.min(maxRefs, MAX_S3_REFS)} per request`);
    expect(looks()).toBe(0);
  });

  it("still validates the entries of a list within the limit", () => {
    const { entries, looks } = watchedEntries(limits.maxBatchImages);
    expect(thrown(() => parseS3Refs(entries, limits.maxBatchImages)).code).toBe("INVALID_REQUEST");
    expect(looks()).toBeGreaterThan(0);
  });

  it("a JSON body with maxBatchImages + 1 invalid s3 entries answers 413 TOO_MANY_IMAGES, not 400", async () => {
    const error = await jsonBodyError(JSON.stringify({ s3: Array.from({ length: limits.maxBatchImages + 1 }, () => ({})) }));
    expect(error.code).toBe("TOO_MANY_IMAGES");
    expect(errorStatus[error.code]).toBe(413);
  });

  it("keeps good input working: a list of maxBatchImages refs and a single ref", async () => {
    const refs = Array.from({ length: limits.maxBatchImages }, (_, i) => ({ bucket: "photos", key: `k${i}.jpg` }));
    expect(parseS3Refs(refs, limits.maxBatchImages)).toEqual({ refs, isList: true });
    expect(parseS3Refs(refs[0], 1)).toEqual({ refs: [refs[0]], isList: false });
  });
});
