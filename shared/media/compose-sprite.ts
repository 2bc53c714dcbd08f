/**
 * A storyboard sprite: tiles cut from the encoders' rows (PNGs the pipeline wrote itself, one per
 * chunk) and laid out on one JPEG of a fixed size, by sharp. Places left without a tile (the
 * last sprite's padding) stay black.
 */
import sharp from 'sharp';

export interface SpriteTile {
  /** A row of tiles, each tileWidth × tileHeight, side by side. */
  rowPath: string;
  /** Which tile of the row, from 0. */
  position: number;
  /** Where it goes on the sprite. */
  left: number;
  top: number;
}

export interface ComposeSpriteInput {
  tiles: readonly SpriteTile[];
  tileWidth: number;
  tileHeight: number;
  width: number;
  height: number;
  jpegQuality: number;
  outputPath: string;
}

export async function composeSprite({ tiles, tileWidth, tileHeight, width, height, jpegQuality, outputPath }: ComposeSpriteInput): Promise<{ bytes: number }> {
  const overlays = await Promise.all(
    tiles.map(async ({ rowPath, position, left, top }) => {
      const { data, info } = await sharp(rowPath).extract({ left: position * tileWidth, top: 0, width: tileWidth, height: tileHeight }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { input: data, raw: { width: info.width, height: info.height, channels: info.channels }, left, top };
    }),
  );
  const { size } = await sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite(overlays)
    .jpeg({ quality: jpegQuality, mozjpeg: true })
    .toFile(outputPath);
  return { bytes: size };
}
