/**
 * The widths to render for an image: the configured ladder, capped at the source width, so a
 * rendition is never upscaled. A source narrower than every rung still gets one rendition at
 * its own width.
 */
export function planImageSizes({ sourceWidth, widths }: { sourceWidth: number; widths: readonly number[] }): number[] {
  const capped = widths.map((width) => Math.min(width, sourceWidth));
  return [...new Set(capped)].sort((a, b) => a - b);
}
