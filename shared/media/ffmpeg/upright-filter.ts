/**
 * Turning a picture upright, explicitly: autorotate is off wherever we decode, so the result does
 * not depend on a display matrix surviving a stream copy.
 */
import type { Rotation } from '../rotation.ts';

/** Filters (each with a leading comma, to append to a chain) that turn a picture stored at `rotation` upright. */
export function uprightFilter(rotation: Rotation): string {
  switch (rotation) {
    case 0:
      return '';
    case 90:
      return ',transpose=clock';
    case 180:
      return ',hflip,vflip';
    case 270:
      return ',transpose=cclock';
    default:
      throw new RangeError(`rotation must be 0, 90, 180 or 270, not ${String(rotation)}`);
  }
}
