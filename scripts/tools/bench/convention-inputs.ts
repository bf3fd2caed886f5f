import type { ModelInput } from "../../../handler/manifest.js";
import { FAST_CONVENTION, type ResizeConvention, resizeConventions } from "../../../handler/resize/conventions.js";

/**
 * The manifest's input once per resize convention known at run time (so conventions added to
 * handler/resize/conventions.ts join the bench by themselves), everything else unchanged. The "libvips" copy keeps the
 * manifest's kernel when the manifest is libvips and takes the default "linear" otherwise; the exact ones have none.
 */
export function inputsByConvention(input: ModelInput): { convention: ResizeConvention; input: ModelInput }[] {
  const { kernel, ...geometry } = input.resize;
  return resizeConventions.map((convention) => {
    const resize = convention === FAST_CONVENTION
      ? { ...geometry, convention, kernel: input.resize.convention === FAST_CONVENTION ? (kernel ?? "linear") : "linear" }
      : { ...geometry, convention };
    return { convention, input: { ...input, resize: resize as ModelInput["resize"] } };
  });
}

/** The exact convention the bench's exact-path target measures: the manifest's own, or the nsfwjs one for a libvips manifest. */
export function targetExactConvention(input: ModelInput): ResizeConvention {
  return input.resize.convention === FAST_CONVENTION ? "tensorflow-bilinear-align-corners" : input.resize.convention;
}
