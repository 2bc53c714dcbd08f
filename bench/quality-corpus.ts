/**
 * The quality comparison's corpus: four generated titles of the kinds per-title encoding is
 * about, from lavfi sources (nothing downloaded), cached in fixtures/generated/ under a name that
 * holds every parameter:
 *   - slides: a screen recording of slides — flat background, bars of "text", a slide change
 *     every 2 s, a small cursor drifting. Easy: most frames repeat the one before.
 *   - talking-head: a low-motion shot — a soft gradient backdrop, a head-and-shoulders shape that
 *     sways a few pixels, light sensor noise. Easy.
 *   - grain-motion: high motion with heavy film grain — a busy test pattern panning fast, a box
 *     racing across, strong temporal noise. Hard: what the VBV cap is for.
 *   - animation: flat-shaded cartoon-like motion — cellular life scaled up with hard edges,
 *     a bouncing ball. In between.
 * Each is a high-quality H.264 master (CRF 14, a keyframe every 2 s, so chunks fall on the 4 s
 * grid and the bench's 4 s windows are the pipeline's chunks) with a quiet tone for audio.
 * Bench data generation builds its own ffmpeg arguments; pipeline code never does.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureGeneratedFixture } from '../fixtures/generated-fixture.ts';

const execFileAsync = promisify(execFile);
const GENERATION = 'v1';

export interface CorpusSize {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

export interface CorpusTitle {
  name: 'slides' | 'talking-head' | 'grain-motion' | 'animation';
  /** The goal "≥ 30% fewer bytes at the target" is for these. */
  easy: boolean;
  description: string;
  /** A filter graph ending in [v]: the title's picture, at `size`. */
  graph(size: CorpusSize): string;
}

const source = ({ width, height, fps }: CorpusSize) => `s=${width}x${height}:r=${fps}`;

export const QUALITY_CORPUS: readonly CorpusTitle[] = [
  {
    name: 'slides',
    easy: true,
    description: 'slides / screen recording',
    graph(size) {
      const { width: w, height: h } = size;
      // Bars of "text", a different layout on each of three slides (2 s each, cycling).
      const bar = (slide: number, line: number) => {
        const length = Math.round(w * (0.35 + ((slide * 7 + line * 3) % 5) * 0.1));
        return `drawbox=x=${Math.round(w * 0.08)}:y=${Math.round(h * (0.25 + line * 0.1))}:w=${length}:h=${Math.max(2, Math.round(h * 0.035))}:color=0x303040:t=fill:enable='eq(mod(floor(t/2)\\,3)\\,${slide})'`;
      };
      const bars = [0, 1, 2].flatMap((slide) => [0, 1, 2, 3, 4].slice(0, 3 + slide).map((line) => bar(slide, line)));
      const title = `drawbox=x=${Math.round(w * 0.08)}:y=${Math.round(h * 0.1)}:w=${Math.round(w * 0.5)}:h=${Math.round(h * 0.07)}:color=0x2050a0:t=fill`;
      const cursor = Math.max(4, Math.round(h / 40));
      return `color=c=0xf4f4f0:${source(size)},${title},${bars.join(',')},format=yuv420p[bg];color=c=black:s=${cursor}x${cursor}:r=${size.fps}[cur];[bg][cur]overlay=x='W*0.3+W*0.2*sin(t/3)':y='H*0.6+H*0.1*cos(t/2)':shortest=1[v]`;
    },
  },
  {
    name: 'talking-head',
    easy: true,
    description: 'low-motion talking head',
    graph(size) {
      const { width: w, height: h } = size;
      const head = Math.round(h * 0.45);
      return `gradients=${source(size)}:c0=0x304860:c1=0x708090:speed=0.002:seed=3,format=yuv420p[bg];` +
        `color=c=0xd0a080:s=${head}x${Math.round(head * 1.3)}:r=${size.fps},format=yuva420p,geq=lum='p(X,Y)':cb='p(X,Y)':cr='p(X,Y)':a='255*lte(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2),1)'[head];` +
        `[bg][head]overlay=x='${Math.round(w / 2 - head / 2)}+6*sin(t*1.3)':y='${Math.round(h * 0.3)}+3*sin(t*0.7)':shortest=1,noise=alls=3:allf=t[v]`;
    },
  },
  {
    name: 'grain-motion',
    easy: false,
    description: 'high motion with heavy grain',
    graph(size) {
      const box = Math.round(size.height / 6);
      return `testsrc2=${source(size)},scroll=h=0.013:v=0.007,format=yuv420p[bg];` +
        `color=c=white:s=${box}x${box}:r=${size.fps}[box];[bg][box]overlay=x='mod(t*W*1.5\\,W-w)':y='(H-h)/2+(H-h)/2*sin(t*5)':shortest=1,noise=alls=18:allf=t+u[v]`;
    },
  },
  {
    name: 'animation',
    easy: false,
    description: 'flat-shaded animation',
    graph(size) {
      const ball = Math.round(size.height / 8);
      return `life=s=${Math.floor(size.width / 10)}x${Math.floor(size.height / 10)}:r=${size.fps}:mold=20:ratio=0.3:seed=7:death_color=#1060c0:life_color=#ffd020,scale=${size.width}:${size.height}:flags=neighbor,format=yuv420p[bg];` +
        `color=c=0xe03030:s=${ball}x${ball}:r=${size.fps}[ball];[bg][ball]overlay=x='mod(t*W/3\\,W-w)':y='(H-h)*abs(sin(t*2))':shortest=1[v]`;
    },
  },
];

export function corpusTitle(name: string): CorpusTitle {
  const title = QUALITY_CORPUS.find((candidate) => candidate.name === name);
  if (!title) throw new RangeError(`no corpus title ${JSON.stringify(name)} (${QUALITY_CORPUS.map((candidate) => candidate.name).join(', ')})`);
  return title;
}

export function corpusSourceName(title: CorpusTitle, { width, height, fps, seconds }: CorpusSize): string {
  return `corpus-${title.name}-${width}x${height}p${fps}-${seconds}s-${GENERATION}.mp4`;
}

/** Absolute path of the title's master, generated on first use. */
export function corpusSource(title: CorpusTitle, size: CorpusSize): Promise<string> {
  return ensureGeneratedFixture(corpusSourceName(title, size), (path) => writeCorpusSource(path, title, size));
}

async function writeCorpusSource(path: string, title: CorpusTitle, size: CorpusSize): Promise<void> {
  const frames = Math.round(size.seconds * size.fps);
  const gop = String(2 * size.fps);
  await execFileAsync(
    'ffmpeg',
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-filter_complex', `${title.graph(size)};aevalsrc=exprs='0.03*sin(2*PI*220*t)|0.03*sin(2*PI*330*t)':s=48000:d=${size.seconds}[a]`,
      '-map', '[v]', '-map', '[a]', '-frames:v', String(frames),
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '14', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', '128k', '-shortest', '-movflags', '+faststart',
      path,
    ],
    { maxBuffer: 1024 * 1024, timeout: 30 * 60_000 },
  );
}
