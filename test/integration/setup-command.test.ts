/**
 * `fanout setup` as `npm test` (pretest) and `npm start` (prestart) run it, with a stand-in
 * apt-get first on PATH that records how it was called. The machine's real ffmpeg is found or
 * hidden by PATH; the stand-in "installs" ffmpeg by writing two scripts that answer -version.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFanout } from '../support/run-fanout.ts';

const setup = (args: string[], env: Record<string, string>) => runFanout(['setup', '--no-minio', ...args], env);

let bin: string;
let calls: string;
beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), 'fanout-setup-bin-'));
  calls = join(bin, 'apt-get.calls');
});
afterEach(async () => rm(bin, { recursive: true, force: true }));

async function fakeAptGet({ installs }: { installs: boolean }): Promise<void> {
  const tool = (name: string) => `printf '#!/bin/sh\\nexit 0\\n' > '${join(bin, name)}'; /bin/chmod +x '${join(bin, name)}'`;
  const script = [
    '#!/bin/sh',
    `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> '${calls}'`,
    '[ "$1" = "--version" ] && exit 0',
    ...(installs ? [`if [ "$1" = "install" ]; then ${tool('ffmpeg')}; ${tool('ffprobe')}; fi`] : []),
    'exit 0',
  ].join('\n');
  await writeFile(join(bin, 'apt-get'), script);
  await chmod(join(bin, 'apt-get'), 0o755);
}

const recordedCalls = async () => (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter((line) => line && !line.includes('--version'));

describe('fanout setup', () => {
  it('leaves a machine that has ffmpeg alone', async () => {
    await fakeAptGet({ installs: true });
    const result = await setup([], { PATH: `${bin}:${process.env.PATH}` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('ffmpeg and ffprobe: found');
    expect(await recordedCalls()).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)('as root with apt-get, installs ffmpeg non-interactively when it is missing', async () => {
    await fakeAptGet({ installs: true });
    const result = await setup([], { PATH: bin });
    expect(result.code, result.stderr).toBe(0);
    expect(await recordedCalls()).toEqual(['DEBIAN_FRONTEND=noninteractive update -qq', 'DEBIAN_FRONTEND=noninteractive install -y -qq --no-install-recommends ffmpeg']);
    expect(result.stderr).toContain('ffmpeg and ffprobe: installed');
  });

  it.runIf(process.getuid?.() === 0)('fails when the install leaves ffmpeg missing, and says so', async () => {
    await fakeAptGet({ installs: false });
    const result = await setup([], { PATH: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ffmpeg or ffprobe still does not run from PATH');
  });

  it('without a way to install, names what to do: a failure for the tests, a warning for npm start', async () => {
    const required = await setup([], { PATH: bin });
    expect(required.code).toBe(1);
    expect(required.stderr).toMatch(/ffmpeg and ffprobe are needed .*https:\/\/ffmpeg\.org\/download\.html/);

    const optional = await setup(['--ffmpeg-optional'], { PATH: bin });
    expect(optional.code, optional.stderr).toBe(0);
    expect(optional.stderr).toMatch(/warning: ffmpeg and ffprobe are needed/);
  });
});
