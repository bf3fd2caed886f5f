import { ClientError } from "./errors.js";

/**
 * The pixels the images of one request may decode together. Images ask in request order, whatever order their
 * headers are read in, so the same request always gets the same images decoded and the same ones refused.
 */
export class RequestPixelBudget {
  private used = 0;
  private readonly turns: Array<{ done: Promise<void>; finish: () => void }>;

  constructor(
    readonly maxPixels: number,
    images: number,
  ) {
    this.turns = Array.from({ length: images }, () => {
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      return { done, finish };
    });
  }

  /**
   * Takes `cost` pixels for image `index` once every earlier image has taken or given up its turn; throws
   * TOO_MANY_PIXELS when they are not left. An image that is refused takes nothing, so a smaller later one may fit.
   */
  async take(index: number, cost: number): Promise<void> {
    await this.turns[index - 1]?.done;
    try {
      const left = this.maxPixels - this.used;
      if (cost > left) {
        throw new ClientError(
          "TOO_MANY_PIXELS",
          `this image decodes to ${cost} pixels and ${Math.max(0, left)} of the request's ${this.maxPixels} are left ` +
            `(MAX_REQUEST_PIXELS); send it in a request of its own`,
        );
      }
      this.used += cost;
    } finally {
      this.turns[index]!.finish();
    }
  }

  /** Image `index` will not ask (it failed before its header was read, or is done): later images need not wait. */
  release(index: number): void {
    this.turns[index]?.finish();
  }
}
