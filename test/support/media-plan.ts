/**
 * A media plan for the tests of what reads one (the encoder's and the assembler's planners and
 * tasks): `chunks` chunks of 2 s at `frameRate`, 1 s GOPs, 2 s segments, x264 ultrafast, measured
 * in SSIM against the top rung's size; anything else as given. Parsed with the real contract.
 */
import { MediaPlan } from '../../shared/contracts/work-plan.ts';

type Rung = MediaPlan['rungs'][number];

/** Two rungs with the default ladder's CRFs and caps. */
export const TEST_RUNGS: Rung[] = [
  { name: '480p', width: 854, height: 480, crf: 24, maxrateKbps: 1200, bufsizeKbps: 2400 },
  { name: '360p', width: 640, height: 360, crf: 25, maxrateKbps: 700, bufsizeKbps: 1400 },
];

const CHUNK_SECONDS = 2;

export function testMediaPlan({ rungs = TEST_RUNGS, chunks, frameRate = 30, ...rest }: { rungs?: Rung[]; chunks: number; frameRate?: number } & Partial<Omit<MediaPlan, 'chunks' | 'rungs' | 'frameRate'>>): MediaPlan {
  const framesPerChunk = CHUNK_SECONDS * frameRate;
  return MediaPlan.parse({
    jobId: 'clip-0123',
    rotation: 0,
    durationSeconds: chunks * CHUNK_SECONDS,
    frameRate,
    frameCount: chunks * framesPerChunk,
    gopSeconds: 1,
    segmentSeconds: CHUNK_SECONDS,
    preset: 'ultrafast',
    rungs,
    chunks: Array.from({ length: chunks }, (_, index) => ({
      index,
      startSeconds: CHUNK_SECONDS * index,
      ...(index < chunks - 1 ? { endSeconds: CHUNK_SECONDS * (index + 1) } : {}),
      cutFromSeconds: CHUNK_SECONDS * index,
      frames: framesPerChunk,
      durationSeconds: CHUNK_SECONDS,
    })),
    quality: { metric: 'ssim', sampleEvery: 1, referenceWidth: rungs[0]!.width, referenceHeight: rungs[0]!.height },
    ...rest,
  });
}
