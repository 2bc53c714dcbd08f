/**
 * The rendition ladder for a source: the ladder's rungs at or below the source's size, never
 * upscaled. Rungs are named by the short side (a portrait 1080×1920 video is "1080p"), so a
 * phone video gets the same ladder as a landscape one. Dimensions keep the displayed aspect
 * ratio (sample aspect ratio and rotation already applied), even, with square pixels.
 */
import type { Rung } from '../../shared/contracts/work-plan.ts';
import { RENDITION_PROFILE, type RungProfile } from '../../shared/rendition-profile.ts';

const even = (value: number) => Math.max(2, 2 * Math.round(value / 2));

export function planLadder({ width, height, ladder = RENDITION_PROFILE.ladder }: { width: number; height: number; ladder?: readonly RungProfile[] }): Rung[] {
  const sourceShort = Math.min(width, height);
  const fitting = ladder.filter((rung) => rung.shortSide <= sourceShort);
  // A source smaller than every rung still gets one, at its own size, with the smallest rung's settings.
  const chosen = fitting.length > 0 ? fitting : [{ ...ladder.at(-1)!, shortSide: sourceShort }];
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
