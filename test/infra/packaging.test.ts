/**
 * Packaging, checked offline: the ffmpeg functions run from one container image (built from
 * infra/docker/Dockerfile at deploy time), image-resize is a zip bundle. The stack is
 * synthesized once WITH bundling, as `cdk deploy` does, and the staged bundles are measured,
 * inspected and loaded.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerDir, IMAGE_TASK_DIR, repoRoot } from '../../infra/cdk/bundling.ts';
import { FFMPEG_FUNCTIONS } from '../../infra/cdk/ffmpeg-image.ts';
import { FanoutStack } from '../../infra/cdk/fanout-stack.ts';
import type { FunctionName } from '../../infra/cdk/fanout-function.ts';
import { synthesizeLocalDeployment } from '../../infra/local/local-deployment.ts';
import { ApiEnv, AssemblerEnv, EncoderEnv, FinalizerEnv, ImageResizeEnv, loadConfig, SplitterEnv, StarterEnv, WebhookDeliveryEnv } from '../../shared/config.ts';
import { functionIds, resourcesOf, type Resource } from './template-support.ts';

const AWS_ONLY_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/webhook-deliveries';

/** Lambda's limit for a zip function, unzipped, layers included (this stack uses none). */
const ZIP_LIMIT_BYTES = 250 * 1024 * 1024;

let outdir: string;
let template: Template;
let resources: Record<string, Resource>;
let fns: Record<FunctionName, string>;
let assets: { files: Record<string, { source: { path: string } }>; dockerImages: Record<string, { source: { directory: string; platform?: string } }> };

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'fanout-bundled-'));
  const app = new App({ outdir });
  const stack = new FanoutStack(app, 'Fanout');
  template = Template.fromStack(stack);
  resources = resourcesOf(template);
  fns = functionIds(template);
  assets = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function sizeOf(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path).reduce((total, entry) => total + sizeOf(join(path, entry)), 0);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function zipAssetDir(name: FunctionName): string {
  const key = resources[fns[name]]!.Properties.Code.S3Key as string;
  return join(outdir, assets.files[key.replace(/\.zip$/, '')]!.source.path);
}

function imageContextDir(): string {
  const images = Object.values(assets.dockerImages);
  expect(images).toHaveLength(1);
  return join(outdir, images[0]!.source.directory);
}

/** Loads a bundle in a fresh Node process, as Lambda's runtime would import it, with the host's native modules. */
function loadBundle(bundlePath: string, environment: Record<string, string>): string {
  const sandbox = mkdtempSync(join(tmpdir(), 'fanout-load-'));
  try {
    copyFileSync(bundlePath, join(sandbox, 'handler.mjs'));
    symlinkSync(join(repoRoot, 'node_modules'), join(sandbox, 'node_modules'), 'dir');
    const url = pathToFileURL(join(sandbox, 'handler.mjs')).href;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`], {
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...environment },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The last line is ours; a handler may log at its cold start before it (Powertools logs to stdout).
    return output.trim().split('\n').at(-1) ?? '';
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

describe('function packaging in the template', () => {
  it('runs splitter, encoder and assembler from one container image, each with its own handler', () => {
    const uris = FFMPEG_FUNCTIONS.map((name) => {
      const properties = resources[fns[name]]!.Properties;
      expect(properties, name).toMatchObject({ PackageType: 'Image', Architectures: ['arm64'], ImageConfig: { Command: [`${name}.handler`] } });
      expect(properties.Runtime, name).toBeUndefined();
      return JSON.stringify(properties.Code.ImageUri);
    });
    expect(new Set(uris).size).toBe(1);
  });

  it('packages image-resize as a zip on Node.js 24, arm64', () => {
    const properties = resources[fns['image-resize']]!.Properties;
    expect(properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    expect(properties.PackageType).toBeUndefined();
    expect(properties.Code.S3Key).toMatch(/\.zip$/);
  });

  it('builds exactly one image, for linux/arm64, from infra/docker/Dockerfile', () => {
    const images = Object.values(assets.dockerImages);
    expect(images.map((image) => image.source.platform)).toEqual(['linux/arm64']);
    expect(readFileSync(join(imageContextDir(), 'Dockerfile'), 'utf8')).toBe(readFileSync(join(dockerDir, 'Dockerfile'), 'utf8'));
  });

  it('gives every function the environment its config needs, resolvable by the local host', () => {
    const schemas = { starter: StarterEnv, splitter: SplitterEnv, encoder: EncoderEnv, 'image-resize': ImageResizeEnv, assembler: AssemblerEnv, finalizer: FinalizerEnv, api: ApiEnv, 'webhook-delivery': WebhookDeliveryEnv };
    const deployment = synthesizeLocalDeployment();
    expect(deployment.functions.map((fn) => fn.name).sort()).toEqual(['api', 'assembler', 'encoder', 'finalizer', 'image-resize', 'splitter', 'starter', 'webhook-delivery']);
    for (const fn of deployment.functions) {
      // The webhook queue exists only on AWS (locally the host delivers webhooks itself): its URL is left unset.
      const environment = fn.name === 'webhook-delivery' ? { ...fn.environment, WEBHOOK_QUEUE_URL: AWS_ONLY_QUEUE_URL } : fn.environment;
      expect(() => loadConfig(schemas[fn.name], environment), fn.name).not.toThrow();
    }
  });

  it('leaves unset locally what exists only on AWS (the CloudFront domain, the webhook queue), and names the local job events bus', () => {
    const environments = Object.fromEntries(synthesizeLocalDeployment().functions.map((fn) => [fn.name, fn.environment]));
    expect(environments.api).not.toHaveProperty('PLAYBACK_BASE_URL');
    expect(environments['webhook-delivery']).not.toHaveProperty('WEBHOOK_QUEUE_URL');
    expect(environments.finalizer).toMatchObject({ EVENT_BUS_NAME: 'fanout-jobs' });
    expect(resources[fns.api]!.Properties.Environment.Variables.PLAYBACK_BASE_URL).toBeDefined();
  });

  it('packages the api and webhook-delivery functions as zips on Node.js 24, arm64', () => {
    for (const name of ['api', 'webhook-delivery'] as const) {
      expect(resources[fns[name]]!.Properties, name).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
  });

  it("tells the splitter the assembler's ephemeral storage, which bounds the longest source it accepts", () => {
    const assemblerStorage = resources[fns.assembler]!.Properties.EphemeralStorage.Size;
    expect(assemblerStorage).toBeGreaterThan(512);
    expect(resources[fns.splitter]!.Properties.Environment.Variables.ASSEMBLER_STORAGE_MIB).toBe(String(assemblerStorage));
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\s/.test(line));

  it('pins ffmpeg to one release of a static arm64-capable build, and starts from the Node.js 24 Lambda image', () => {
    expect(dockerfile).toMatch(/^ARG FFMPEG_IMAGE=mwader\/static-ffmpeg:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/m);
    expect(dockerfile).toMatch(/^ARG LAMBDA_BASE_IMAGE=public\.ecr\.aws\/lambda\/nodejs:24$/m);
    expect(instructions).toContain('COPY --from=ffmpeg /ffmpeg /ffprobe /usr/local/bin/');
  });

  it('only copies: no RUN, so the arm64 image builds on any host without emulation', () => {
    expect(instructions.map((line) => line.split(' ')[0])).toEqual(['ARG', 'ARG', 'FROM', 'FROM', 'COPY', 'COPY', 'CMD']);
  });
});

describe('bundles, synthesized with bundling', () => {
  it(`keeps the zip function under Lambda's 250 MB unzipped limit`, () => {
    const bytes = sizeOf(zipAssetDir('image-resize'));
    console.info(`image-resize zip, unzipped: ${mib(bytes)}`);
    expect(bytes).toBeLessThan(ZIP_LIMIT_BYTES);
  });

  it('ships sharp built for linux-arm64, and no other platform, in the zip and in the image', () => {
    for (const dir of [zipAssetDir('image-resize'), join(imageContextDir(), IMAGE_TASK_DIR)]) {
      const platforms = readdirSync(join(dir, 'node_modules', '@img')).filter((entry) => entry.startsWith('sharp-'));
      expect(platforms.sort(), dir).toEqual(['sharp-libvips-linux-arm64', 'sharp-linux-arm64']);
    }
  });

  it('stages one ESM bundle per ffmpeg function in the image context', () => {
    const task = join(imageContextDir(), IMAGE_TASK_DIR);
    for (const name of FFMPEG_FUNCTIONS) expect(existsSync(join(task, `${name}.mjs`)), name).toBe(true);
    console.info(`ffmpeg image context (bundles and sharp, before the base image and ffmpeg): ${mib(sizeOf(imageContextDir()))}`);
  });

  it('loads every bundle as an ES module, CommonJS dependencies that call require() included', () => {
    const environments = Object.fromEntries(synthesizeLocalDeployment().functions.map((fn) => [fn.name, fn.environment]));
    const task = join(imageContextDir(), IMAGE_TASK_DIR);
    for (const name of FFMPEG_FUNCTIONS) expect(loadBundle(join(task, `${name}.mjs`), environments[name]!), name).toBe('function');
    expect(loadBundle(join(zipAssetDir('image-resize'), 'index.mjs'), environments['image-resize']!)).toBe('function');
    expect(loadBundle(join(zipAssetDir('api'), 'index.mjs'), environments.api!)).toBe('function');
    expect(loadBundle(join(zipAssetDir('webhook-delivery'), 'index.mjs'), { ...environments['webhook-delivery']!, WEBHOOK_QUEUE_URL: AWS_ONLY_QUEUE_URL })).toBe('function');
  });
});
