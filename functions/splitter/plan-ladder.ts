/**
 * The rendition ladder for a source: the profile's rungs at or below the source's size, never
 * upscaled. Rungs are named by the short side (a portrait 1080×1920 video is "1080p"), so a
 * phone video gets the same ladder as a landscape one. Dimensions keep the displayed aspect
 * ratio (sample aspect ratio and rotation already applied), even, with square pixels.
 */
import type { Rung } from '../../shared/contracts/work-plan.ts';

export interface RungProfile {
  shortSide: number;
  crf: number;
  maxrateKbps: number;
  bufsizeKbps: number;
}

/** H.264 + AAC, four rungs; the VBV caps keep a busy scene from blowing the bitrate up. */
export const DEFAULT_LADDER: readonly RungProfile[] = [
  { shortSide: 1080, crf: 23, maxrateKbps: 6000, bufsizeKbps: 12000 },
  { shortSide: 720, crf: 23, maxrateKbps: 3000, bufsizeKbps: 6000 },
  { shortSide: 480, crf: 24, maxrateKbps: 1200, bufsizeKbps: 2400 },
  { shortSide: 360, crf: 25, maxrateKbps: 700, bufsizeKbps: 1400 },
];

const even = (value: number) => Math.max(2, 2 * Math.round(value / 2));

export function planLadder({ width, height, profile = DEFAULT_LADDER }: { width: number; height: number; profile?: readonly RungProfile[] }): Rung[] {
  const sourceShort = Math.min(width, height);
  const fitting = profile.filter((rung) => rung.shortSide <= sourceShort);
  // A source smaller than every rung still gets one, at its own size, with the smallest rung's settings.
  const chosen = fitting.length > 0 ? fitting : [{ ...profile.at(-1)!, shortSide: sourceShort }];
  return chosen.map((rung) => {
    const scale = rung.shortSide / sourceShort;
    return {
      name: `${Math.min(even(width * scale), even(height * scale))}p`,
      width: even(width * scale),
      height: even(height * scale),
      crf: rung.crf,
      maxrateKbps: rung.maxrateKbps,
      bufsizeKbps: rung.bufsizeKbps,
    };
  });
}
