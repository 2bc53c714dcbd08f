import { describe, expect, it } from 'vitest';
import { videoFixture, type VideoFixtureName } from '../../fixtures/videos.ts';
import { SniffedMedia, sniffMediaType } from '../../shared/media/sniff-media-type.ts';
import { readHead } from '../support/read-head.ts';

const headOf = async (name: VideoFixtureName): Promise<Uint8Array> => readHead(await videoFixture(name));

const video = (format: string, mime: string): SniffedMedia => SniffedMedia.parse({ mediaType: 'video', format, mime });
const audio = (format: string, mime: string): SniffedMedia => SniffedMedia.parse({ mediaType: 'audio', format, mime });

describe('sniffMediaType on the video fixtures', () => {
  // One fixture per container and brand: the other ffmpeg-made MP4s (odd-size, rotated, vfr,
  // long-gop, video-only) start with the same ftyp as h264.mp4, and mjpeg.mov as hevc.mov.
  it.each<[VideoFixtureName, SniffedMedia]>([
    ['h264.mp4', video('mp4', 'video/mp4')],
    ['hevc.mov', video('mov', 'video/quicktime')],
    ['vp9.webm', video('webm', 'video/webm')],
    ['anamorphic.mkv', video('mkv', 'video/matroska')],
    ['audio-only.m4a', audio('m4a', 'audio/x-m4a')],
    ['audio-only.mp3', audio('mp3', 'audio/mpeg')],
    // An ID3 tag carrying a picture comes first; the MPEG frames follow it.
    ['cover-art.mp3', audio('mp3', 'audio/mpeg')],
    // Its head is a good MP4 header; the missing moov is ffprobe's to find (probe-media tests).
    ['no-moov.mp4', video('mp4', 'video/mp4')],
  ])('%s sniffs as %o', async (name, expected) => {
    expect(await sniffMediaType(await headOf(name))).toEqual(expected);
  });

  // Text under an .mp4 name (an HLS playlist, an ffconcat script) and an empty object are no
  // media at all: the splitter must refuse them before ffprobe sees them.
  it.each<VideoFixtureName>(['playlist.mp4', 'concat.mp4', 'empty.mp4'])('%s is refused', async (name) => {
    expect(await sniffMediaType(await headOf(name))).toBeUndefined();
  });
});
