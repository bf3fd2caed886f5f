import sharp from "sharp";

/** The floor for decoding: sharp straight to the model's input size, no checks, no tensor. */
export async function timeBareDecode(bytes: Uint8Array, width: number, height: number): Promise<number> {
  const start = performance.now();
  await sharp(bytes).resize(width, height, { fit: "fill" }).removeAlpha().raw().toBuffer();
  return performance.now() - start;
}

/** The exact path's floor for decoding: sharp to raw pixels at full resolution, no resize, no checks, no tensor. */
export async function timeBareFullDecode(bytes: Uint8Array): Promise<number> {
  const start = performance.now();
  await sharp(bytes).raw().toBuffer();
  return performance.now() - start;
}
