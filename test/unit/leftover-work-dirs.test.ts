import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeLeftoverWorkDirs, WORK_DIR_PREFIX } from '../../shared/leftover-work-dirs.ts';

let sandboxTmp: string;
afterEach(async () => {
  await rm(sandboxTmp, { recursive: true, force: true });
});

describe('removeLeftoverWorkDirs', () => {
  it("removes the function's own leftover work folders, whatever they hold, and nothing else", async () => {
    sandboxTmp = await mkdtemp(join(tmpdir(), 'fanout-sandbox-tmp-'));
    await mkdir(join(sandboxTmp, `${WORK_DIR_PREFIX.assembler}abc123`, 'chunks', '1080p'), { recursive: true });
    await writeFile(join(sandboxTmp, `${WORK_DIR_PREFIX.assembler}abc123`, 'chunks', '1080p', '0.mp4'), 'half a chunk');
    await mkdir(join(sandboxTmp, `${WORK_DIR_PREFIX.encoder}chunk-xyz`));
    await writeFile(join(sandboxTmp, 'someone-elses.txt'), 'keep me');

    await removeLeftoverWorkDirs(sandboxTmp, WORK_DIR_PREFIX.assembler);

    expect((await readdir(sandboxTmp)).sort()).toEqual([`${WORK_DIR_PREFIX.encoder}chunk-xyz`, 'someone-elses.txt']);
  });

  it('does nothing where the folder does not exist', async () => {
    sandboxTmp = join(tmpdir(), 'fanout-no-such-dir');
    await expect(removeLeftoverWorkDirs(sandboxTmp, WORK_DIR_PREFIX.splitter)).resolves.toBeUndefined();
  });
});
