/**
 * The container of the splitter's stream copies (a chunk's segment, the file's audio), read back
 * by the encoder. Both keep the source's timestamps, so the encoder can pick a chunk's frames by
 * their source pts; the container must keep them exactly. Measured on ffmpeg 5.1:
 *
 *   - Matroska rounds every timestamp to 1 ms (a 30 fps frame at 2.066667 s becomes 2.067), so
 *     exact CFR comes out jittered 33/34 ms, and it shifts a stream that starts below zero (AAC
 *     in MP4 starts at -1024 samples of priming) or, with that shift disabled, moves Opus by its
 *     codec delay a second time.
 *   - MP4/MOV keep the time base, but cannot hold every codec (no VP8, Vorbis) and mark pre-roll
 *     packets as discarded.
 *   - NUT keeps the time base exactly (1/15360 becomes 1/61440) and holds any codec, but cannot
 *     store a negative timestamp.
 *
 * So: NUT, with every timestamp moved up by a fixed offset on the way in and down again in the
 * encoder, which puts AAC priming and edit-list pre-roll above zero without changing a tick
 * (100 s is a whole number of ticks in every 1/N time base).
 */
export const INTERMEDIATE_FORMAT = {
  muxer: 'nut',
  extension: 'nut',
  contentType: 'application/octet-stream',
  timestampOffsetSeconds: 100,
} as const;
