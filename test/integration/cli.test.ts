/**
 * The `fanout` command as a user runs it: a real process, real stdout, stderr and exit codes.
 * Embedded storage keeps these fast; the MinIO path is covered by the pipeline suites.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, readConnection } from '../../infra/cli/stack-connection.ts';
import { Manifest } from '../../shared/contracts/manifest.ts';
import { jobIdFor } from '../../shared/job-id.ts';
import { imageFixture } from '../../fixtures/images.ts';
import { videoFixture } from '../../fixtures/videos.ts';
import { executionArnFor } from '../../shared/workflow.ts';
import { detectQualityMetric } from '../../shared/media/ffmpeg/detect-quality-metric.ts';
import { fanoutCli, runFanout } from '../support/run-fanout.ts';

const cli = fanoutCli;
const fanout = runFanout;

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fanout-cli-'));
});
afterAll(async () => rm(workDir, { recursive: true, force: true }));

describe('fanout process', () => {
  it('prints the manifest alone on stdout with --json, writes the renditions to --out and exits 0', async () => {
    const out = join(workDir, 'graphic');
    const result = await fanout(['process', await imageFixture('graphic.png'), '--json', '--out', out, '--storage', 'embedded']);

    expect(result.code, result.stderr).toBe(0);
    const manifest = Manifest.parse(JSON.parse(result.stdout));
    expect(manifest.status).toBe('succeeded');
    expect(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'))).toEqual(manifest);
    // graphic.png is 800 px wide: the default widths up to it, and its own, in every format.
    const expected = [320, 640, 800].flatMap((width) => ['avif', 'jpg', 'webp'].map((extension) => `${width}w.${extension}`)).sort();
    expect((await readdir(join(out, 'image'))).sort()).toEqual(expected);
    expect(manifest.renditions.map((rendition) => rendition.key.split('/').pop()).sort()).toEqual(expected);
  });

  it('exits non-zero with the error code and message for a rejected input', async () => {
    const result = await fanout(['process', await imageFixture('not-an-image.jpg'), '--out', join(workDir, 'rejected'), '--storage', 'embedded']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/rejected/);
    expect(result.stdout).toMatch(/UNSUPPORTED_MEDIA_TYPE: the file content is not a supported image/);
  });

  it('refuses a missing file at once, before starting anything', async () => {
    const result = await fanout(['process', join(workDir, 'no-such-file.mp4')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no-such-file\.mp4: no such file/);
    expect(result.stderr).not.toMatch(/local stack up/);
  });

  it('refuses a vmaf target where this ffmpeg has no libvmaf, before starting anything', async ({ skip }) => {
    if ((await detectQualityMetric()).metric === 'vmaf') skip('this ffmpeg has libvmaf');
    const result = await fanout(['process', await videoFixture('h264.mp4'), '--quality-target', 'vmaf:93']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/QUALITY_METRIC_UNAVAILABLE: the quality target vmaf:93 needs an ffmpeg with libvmaf/);
    expect(result.stderr).not.toMatch(/local stack up|state folder/);
  });

  it('refuses a directory with its own message, before starting anything', async () => {
    const result = await fanout(['process', workDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${workDir}: is a directory; give one file`);
    expect(result.stderr).not.toMatch(/local stack up/);
  });

  it('refuses a file it cannot read with its own message, before starting anything', async () => {
    const secret = join(workDir, 'secret.mp4');
    await writeFile(secret, 'bytes', { mode: 0o000 });
    await chmod(workDir, 0o755);
    // Root reads any file: the command runs as nobody then, as a user would meet the error.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = await fanout(['process', secret], {}, asUser);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${secret}: not readable: permission denied (EACCES)`);
    expect(result.stderr).not.toMatch(/local stack up/);
  });

  it('fails clearly when MinIO is forced but cannot be had', async () => {
    const result = await fanout(['process', await imageFixture('small.png'), '--storage', 'minio'], { MINIO_BIN: '', PATH: '/usr/bin:/bin', XDG_CACHE_HOME: workDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--storage minio: no MinIO binary found/);
  });
});

async function untilEnded(sfn: SFNClient, executionArn: string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    if ((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING') return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${executionArn} still runs`);
}

/** Processes whose command line names `text` (a state folder): MinIO serves its data from there. */
async function processesNaming(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(text)) found.push(`${pid}: ${commandLine.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('fanout process interrupted', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('on %s stops MinIO, removes its temporary state folder and exits %i', async (signal, expectedCode) => {
    const tmp = await mkdtemp(join(workDir, `tmp-${signal}-`));
    const child = spawn(process.execPath, [cli, 'process', await imageFixture('graphic.png'), '--storage', 'minio', '--out', join(workDir, signal)], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack did not come up:\n${stderr}`)), 90_000);
      child.stderr!.on('data', () => {
        if (stderr.includes('local stack up')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // (the CDK synth keeps its own cdk.out* folder there too)
    const stateFolders = async () => (await readdir(tmp)).filter((name) => name.startsWith('fanout-process-'));
    const [stateFolder] = await stateFolders();
    expect(stateFolder).toBeDefined();
    expect(stderr).toContain(join(tmp, stateFolder!));
    // The positive control: MinIO runs from that folder now.
    expect((await processesNaming(join(tmp, stateFolder!))).length).toBeGreaterThan(0);

    child.kill(signal);

    expect(await closed, stderr).toBe(expectedCode);
    expect(await stateFolders()).toEqual([]);
    expect(await processesNaming(join(tmp, stateFolder!))).toEqual([]);
  }, 150_000);
});

describe('fanout dev, upload and status', () => {
  let dev: ChildProcess;
  let stateDir: string;
  let devOutput = '';

  beforeAll(async () => {
    stateDir = join(workDir, 'state');
    dev = spawn(process.execPath, [cli, 'dev', '--storage', 'embedded'], { env: { ...process.env, FANOUT_STATE_DIR: stateDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    dev.stdout!.on('data', (chunk) => (devOutput += chunk));
    dev.stderr!.on('data', (chunk) => (devOutput += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fanout dev did not start:\n${devOutput}`)), 60_000);
      dev.stdout!.on('data', () => {
        if (devOutput.includes('Upload:')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });

  afterAll(async () => {
    if (dev.exitCode === null) {
      dev.kill('SIGINT');
      await new Promise((resolve) => dev.once('close', resolve));
    }
  });

  it('prints the endpoints of the stack it started', () => {
    expect(devOutput).toMatch(/storage\s+embedded S3 server at http:\/\/127\.0\.0\.1:\d+/);
    expect(devOutput).toMatch(/step functions\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(devOutput).toMatch(/input bucket\s+s3:\/\/fanout-input/);
  });

  it('uploads a file, follows its job and prints the renditions', async () => {
    const result = await fanout(['upload', await imageFixture('small.png')], { FANOUT_STATE_DIR: stateDir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✔ job small-[0-9a-f]+ succeeded/);
    expect(result.stdout).toMatch(/120w\.avif\s+120×90/);
  });

  it('uploads through the job API with --api, follows its job to succeeded and prints the renditions', async () => {
    const result = await fanout(['upload', await imageFixture('small.png'), '--api'], { FANOUT_STATE_DIR: stateDir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✔ job small-[0-9a-f]+ succeeded/);
    expect(result.stdout).toMatch(/120w\.avif\s+120×90/);
    expect(result.stderr).toMatch(/upload small\.png/);
  });

  it('refuses --api with --key: the API names the key', async () => {
    const result = await fanout(['upload', await imageFixture('small.png'), '--api', '--key', 'mine.png'], { FANOUT_STATE_DIR: stateDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--key and --api/);
  });

  it('runs the same job for an upload made with any other S3 client, and status shows it', async () => {
    const { buckets, s3 } = clientsFor(await readConnection(stateDir));
    const body = await readFile(await imageFixture('graphic.png'));
    const put = await s3.send(new PutObjectCommand({ Bucket: buckets.input, Key: 'from another client.png', Body: body }));
    const jobId = jobIdFor({ bucket: buckets.input, key: 'from another client.png', etag: put.ETag!.replace(/"/g, '') });

    let shown = await fanout(['status', jobId, '--json'], { FANOUT_STATE_DIR: stateDir });
    for (let tries = 0; tries < 50 && !shown.stdout.includes('"schemaVersion"'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      shown = await fanout(['status', jobId, '--json'], { FANOUT_STATE_DIR: stateDir });
    }
    expect(Manifest.parse(JSON.parse(shown.stdout))).toMatchObject({ jobId, status: 'succeeded', source: { key: 'from another client.png' } });

    const listed = await fanout(['status'], { FANOUT_STATE_DIR: stateDir });
    expect(listed.stdout).toMatch(new RegExp(`${jobId}\\s+succeeded`));
    // and fanout dev told whoever watches its terminal
    for (let tries = 0; tries < 150 && !devOutput.includes(`job ${jobId} succeeded`); tries++) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(devOutput).toMatch(new RegExp(`job ${jobId} succeeded, \\d+ renditions in [0-9.]+ s`));
  });

  it('shows an execution that failed without a manifest as failed, with its error, exit 1; fanout dev prints its end', async () => {
    const { sfn, stateMachineArn } = clientsFor(await readConnection(stateDir));
    const jobId = 'hand-started-failed-0123456789abcdef';
    // An input the assembler refuses (no source, no plan): the execution fails and no manifest is written.
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: jobId, input: JSON.stringify({ jobId, outcome: 'rejected' }) }));
    await untilEnded(sfn, executionArn!);

    const shown = await fanout(['status', jobId], { FANOUT_STATE_DIR: stateDir });
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(new RegExp(`✖ job ${jobId} failed: its execution ended FAILED without a manifest: .*INTERNAL`));
    const json = await fanout(['status', jobId, '--json'], { FANOUT_STATE_DIR: stateDir });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobId, status: 'failed', execution: { status: 'FAILED' } });
    expect((await fanout(['status'], { FANOUT_STATE_DIR: stateDir })).stdout).toMatch(new RegExp(`${jobId}\\s+failed \\(FAILED\\)`));
    await untilOutput(`job ${jobId} failed`);
    expect(devOutput).toMatch(new RegExp(`job ${jobId} failed: its execution ended FAILED without a manifest`));
  });

  it('shows a job whose execution was stopped while it ran (ABORTED) as failed, exit 1, once the finalizer has written why', async () => {
    const { buckets, s3, sfn, stateMachineArn } = clientsFor(await readConnection(stateDir));
    const body = await readFile(await videoFixture('h264.mp4'));
    const put = await s3.send(new PutObjectCommand({ Bucket: buckets.input, Key: 'stopped.mp4', Body: body }));
    const jobId = jobIdFor({ bucket: buckets.input, key: 'stopped.mp4', etag: put.ETag!.replace(/"/g, '') });
    const executionArn = executionArnFor(stateMachineArn, jobId);
    for (let tries = 0; tries < 300; tries++) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn })).catch(() => undefined);
      if (described?.status === 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'stopped by the test' }));
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');

    let shown = await fanout(['status', jobId], { FANOUT_STATE_DIR: stateDir });
    for (let tries = 0; tries < 100 && !shown.stdout.includes('stopped before the job finished'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      shown = await fanout(['status', jobId], { FANOUT_STATE_DIR: stateDir });
    }
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(new RegExp(`✖ job ${jobId} failed`));
    expect(shown.stdout).toMatch(/INTERNAL: the execution was stopped before the job finished/);
    await untilOutput(`job ${jobId} failed`);
  });

  async function untilOutput(text: string): Promise<void> {
    for (let tries = 0; tries < 150 && !devOutput.includes(text); tries++) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(devOutput).toContain(text);
  }

  it('reaches a deployed stack with --aws only through the outputs `npm run deploy` saved', async () => {
    const result = await fanout(['status', '--aws'], { FANOUT_STATE_DIR: stateDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no \.fanout\/aws-outputs\.json: deploy with `npm run deploy`/);
  });

  it('stops cleanly on Ctrl-C and forgets its endpoints', async () => {
    dev.kill('SIGINT');
    const code = await new Promise((resolve) => dev.once('close', resolve));
    expect(code).toBe(0);
    const status = await fanout(['status'], { FANOUT_STATE_DIR: stateDir });
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/no running stack found/);
  });
});
