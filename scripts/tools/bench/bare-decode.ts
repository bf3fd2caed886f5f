import sharp from "sharp";

/** The floor for decoding: sharp straight to the model's input size, no checks, no tensor. */
export async function timeBareDecode(bytes: Uint8Array, width: number, height: number): Promise<number> {
  const start = performance.now();
  await sharp(bytes).resize(width, height, { fit: "fill" }).removeAlpha().raw().toBuffer();
  return performance.now() - start;
}
