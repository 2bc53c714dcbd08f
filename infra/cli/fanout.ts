#!/usr/bin/env node
/** The `fanout` command line: thin wiring from arguments to the commands. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildDashboard } from '../local/dashboard-site.ts';
import { installMinio } from '../local/storage/minio-binary.ts';
import { DEFAULT_PORTS } from '../local/storage/pick-port.ts';
import { runDev } from './commands/dev.ts';
import { runProcess } from './commands/process.ts';
import { runStatus } from './commands/status.ts';
import { runUpload } from './commands/upload.ts';
import { ensureFfmpeg } from './ensure-ffmpeg.ts';
import { parseQualityTarget } from '../../shared/contracts/quality.ts';

const storageOption = () => new Option('--storage <kind>', 'MinIO when one can be had, else the embedded S3 server').choices(['auto', 'minio', 'embedded']).default('auto');
const concurrencyOption = () => new Option('--concurrency <n>', 'worker processes at once (default: one per core)').argParser((value) => parsePositiveInt(value));

const qualityTargetOption = () =>
  new Option('--quality-target <metric:value>', 'encode each chunk of each rung to this quality (ssim:0.98, or vmaf:93 where ffmpeg has libvmaf), and drop rungs that add nothing').argParser((value) => {
    try {
      parseQualityTarget(value);
    } catch {
      throw new InvalidArgumentError('a quality target is ssim:<0..1> or vmaf:<0..100>, as in ssim:0.98');
    }
    return value;
  });

const portOption = (flags: string, env: string, fallback: number, what: string) =>
  new Option(flags, `${what}; a free one, named, when it is taken`).env(env).default(fallback).argParser((value) => parsePort(value));

function parsePort(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) throw new Error(`expected a TCP port, got ${value}`);
  return parsed;
}

function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got ${value}`);
  return parsed;
}

const program = new Command('fanout').description('Serverless media pipeline: an upload becomes a full set of renditions.').showHelpAfterError();

program
  .command('dev')
  .description('start the local stack (MinIO or embedded S3, local Step Functions, worker pool) and keep it running')
  .addOption(storageOption())
  .addOption(concurrencyOption())
  .addOption(qualityTargetOption())
  .addOption(portOption('--storage-port <port>', 'FANOUT_STORAGE_PORT', DEFAULT_PORTS.storage, 'S3 endpoint port (the MinIO console takes the next one)'))
  .addOption(portOption('--sfn-port <port>', 'FANOUT_SFN_PORT', DEFAULT_PORTS.stepFunctions, 'Step Functions endpoint port (the upload-event receiver, the API and the local EventBridge take the next three)'))
  .addOption(new Option('--trigger <kind>', 'how uploads start jobs: the store\'s events (polling where they cannot be set up), or always poll').choices(['auto', 'poll']).env('FANOUT_TRIGGER').default('auto'))
  .action(async (options) => runDev(options));

program
  .command('upload')
  .description('upload a file to the running stack and follow its job')
  .argument('<file>')
  .option('--key <key>', 'object key in the input bucket (default: the file name)')
  .option('--no-wait', 'print the job id and return at once')
  .option('--json', 'print the manifest as JSON on stdout')
  .option('--aws', 'the deployed stack (names from the outputs `npm run deploy` saved) instead of the local one')
  .option('--stack <name>', 'the deployed stack\'s name', 'Fanout')
  .option('--api', 'upload through the running local stack\'s job API (presigned PUT or multipart parts), as an app would')
  .action(async (file: string, options) =>
    exit(await runUpload(file, { key: options.key, wait: options.wait, json: Boolean(options.json), aws: Boolean(options.aws), stack: options.stack, api: Boolean(options.api) })),
  );

program
  .command('status')
  .description('list jobs, or show one')
  .argument('[jobId]')
  .option('--json', 'print JSON on stdout')
  .option('--aws', 'the deployed stack instead of the local one')
  .option('--stack <name>', 'the deployed stack\'s name', 'Fanout')
  .action(async (jobId: string | undefined, options) => exit(await runStatus(jobId, { json: Boolean(options.json), aws: Boolean(options.aws), stack: options.stack })));

program
  .command('process')
  .description('one shot: bring up an ephemeral stack, process a file, copy the results out, tear down')
  .argument('[file]', 'the file to process (default: a bundled sample)')
  .option('--json', 'print the manifest as JSON alone on stdout')
  .option('--out <dir>', 'where to put the manifest and renditions (default: fanout-output/<jobId>)')
  .addOption(storageOption())
  .addOption(concurrencyOption())
  .addOption(qualityTargetOption())
  .action(async (file: string | undefined, options) =>
    exit(await runProcess(file, { json: Boolean(options.json), out: options.out, storage: options.storage, concurrency: options.concurrency, qualityTarget: options.qualityTarget })),
  );

program
  .command('setup')
  .description('what the local stack and the tests need: ffmpeg and ffprobe (installed where it runs as root with apt-get), the dashboard\'s page (Vite), and the pinned MinIO built with Go into the cache')
  .option('--no-minio', 'leave MinIO out (`npm start` needs none: it falls back to the embedded S3 server)')
  .option('--ffmpeg-optional', 'a missing ffmpeg is a warning, not a failure (`npm start` falls back to the image sample)')
  .action(async (options: { minio: boolean; ffmpegOptional?: boolean }) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    try {
      log(await ensureFfmpeg(log));
    } catch (error) {
      if (!options.ffmpegOptional) throw error;
      log(`warning: ${error instanceof Error ? error.message : String(error)}`);
    }
    await buildDashboard(log);
    log('dashboard built: dashboard/dist (served by `fanout dev` at /dashboard/)');
    if (!options.minio) return;
    const path = await installMinio({ onLog: log });
    process.stdout.write(`MinIO ready: ${path}\n`);
  });

function exit(code: number): void {
  process.exitCode = code;
}

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`fanout: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
