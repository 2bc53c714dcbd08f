/**
 * A video's poster and thumbnails for the gallery: the pipeline writes each in several formats
 * (AVIF, WebP, JPEG); the gallery shows each picture once, in the format every browser shows.
 */
import type { Manifest } from '../../../shared/contracts/manifest.ts';

export interface Still {
  role: 'poster' | 'thumbnail';
  ordinal: number;
  key: string;
  width: number;
  height: number;
}

const PREFERENCE = ['webp', 'jpeg', 'avif'];

export function stillsOf(manifest: Pick<Manifest, 'renditions'>): Still[] {
  const best = new Map<string, { still: Still; rank: number }>();
  for (const rendition of manifest.renditions) {
    if (rendition.kind !== 'image' || (rendition.role !== 'poster' && rendition.role !== 'thumbnail')) continue;
    const rank = PREFERENCE.indexOf(rendition.format);
    const ordinal = rendition.ordinal ?? 0;
    const id = `${rendition.role}#${ordinal}`;
    const held = best.get(id);
    if (!held || rank < held.rank) best.set(id, { still: { role: rendition.role, ordinal, key: rendition.key, width: rendition.width, height: rendition.height }, rank });
  }
  return [...best.values()].map(({ still }) => still).sort((a, b) => (a.role === b.role ? a.ordinal - b.ordinal : a.role === 'poster' ? -1 : 1));
}
