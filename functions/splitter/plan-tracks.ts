/**
 * Which audio and subtitle tracks of a source become renditions, and what they are called. Pure:
 * the probe's stream labels in, the tracks out.
 *
 * - Audio: every stream whose codec the allowlist takes, in file order. The default one is the
 *   first the container flags default, else the first; it goes into the MP4s, and is DEFAULT=YES
 *   in the HLS audio group. An audio-only upload keeps its default track alone (its one
 *   rendition is that track's .m4a). A track in a codec outside the allowlist is left out, not
 *   refused: the probe has already refused a file whose first audio track is one.
 * - Subtitles: every text track (mov_text, SubRip, ASS/SSA, WebVTT) with video. Bitmap subtitles
 *   (DVD, PGS, DVB) would need OCR to become WebVTT: they are left out.
 *
 * Languages and titles are the file's own tags, untrusted text: the language becomes a BCP 47
 * tag (`eng` → `en`; `und` when missing or not a tag), the name is the title with quotes and
 * control characters dropped (or the language's English name), the label (file names, keys) is
 * built from the canonical tag alone. Labels and names are unique within their group: a second
 * English track is `en-2`, named "English 2" unless its title says otherwise.
 */
import type { AudioTrack, SubtitleTrack } from '../../shared/contracts/work-plan.ts';
import { AudioCodec, SubtitleCodec } from '../../shared/media/ffmpeg/codec-allowlist.ts';
import type { StreamLabel } from '../../shared/media/ffmpeg/media-facts.ts';

export interface PlanTracksArgs {
  audioStreams: readonly StreamLabel[];
  subtitleStreams: readonly StreamLabel[];
  /** Without video there is no HLS package: one audio track, no subtitles. */
  withVideo: boolean;
}

/** A planned track and the source stream it is cut from (`-map 0:<streamIndex>`). */
export type PlannedAudioTrack = AudioTrack & { streamIndex: number };
export type PlannedSubtitleTrack = SubtitleTrack & { streamIndex: number };

export interface PlannedTracks {
  /** Exactly one is `default` when any is there. */
  audio: PlannedAudioTrack[];
  subtitles: PlannedSubtitleTrack[];
}

const UNDETERMINED = 'und';
/** Long enough for any real title; HLS NAMEs show in a menu. */
const MAX_NAME_LENGTH = 60;

export function planTracks({ audioStreams, subtitleStreams, withVideo }: PlanTracksArgs): PlannedTracks {
  const usableAudio = audioStreams.filter((stream) => AudioCodec.safeParse(stream.codec).success);
  const defaultAudio = usableAudio.find((stream) => stream.default) ?? usableAudio[0];
  const keptAudio = withVideo ? usableAudio : usableAudio.filter((stream) => stream === defaultAudio);
  const audio = describeTracks(keptAudio).map((track, position) => ({ ...track, default: keptAudio[position] === defaultAudio }));

  const textSubtitles = withVideo ? subtitleStreams.filter((stream) => SubtitleCodec.safeParse(stream.codec).success) : [];
  return { audio, subtitles: describeTracks(textSubtitles) };
}

/** Language, unique label and unique name for each stream of one group, in order. */
function describeTracks(streams: readonly StreamLabel[]): PlannedSubtitleTrack[] {
  const labels = new Set<string>();
  const names = new Set<string>();
  return streams.map((stream) => {
    const language = languageTag(stream.language);
    const label = unique(language.toLowerCase(), labels, (base, count) => `${base}-${count}`);
    const name = unique(displayName(stream.title, language), names, (base, count) => `${base} ${count}`);
    return { streamIndex: stream.index, label, language, name };
  });
}

/** The canonical BCP 47 tag of a stream's language tag (ISO 639-2 `eng` becomes `en`), or `und`. */
export function languageTag(tag: string | undefined): string {
  if (tag === undefined || !/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$/.test(tag)) return UNDETERMINED;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical ?? UNDETERMINED;
  } catch {
    return UNDETERMINED;
  }
}

/** The title, made safe for a quoted HLS attribute; without one, the language's English name. */
function displayName(title: string | undefined, language: string): string {
  // Cut by code points, not UTF-16 units: half an emoji is no character.
  const cleaned = Array.from((title ?? '').replace(/\s+/g, ' ').replace(/["\p{Cc}\p{Cf}]/gu, '').trim()).slice(0, MAX_NAME_LENGTH).join('').trim();
  if (cleaned !== '') return cleaned;
  if (language === UNDETERMINED) return 'Unknown language';
  try {
    return new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' }).of(language) ?? language;
  } catch {
    return language;
  }
}

function unique(base: string, taken: Set<string>, numbered: (base: string, count: number) => string): string {
  let candidate = base;
  for (let count = 2; taken.has(candidate); count++) candidate = numbered(base, count);
  taken.add(candidate);
  return candidate;
}
