/**
 * Work folders left in /tmp by an invocation that was killed (its timeout, out of memory) in a
 * warm sandbox. A sandbox runs one invocation at a time, so when one starts, any folder of ours
 * is such a leftover; without this, each crash would shrink the space the next jobs have.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** What each function names its work folders with (mkdtemp adds a random suffix). */
export const WORK_DIR_PREFIX = {
  splitter: 'split-',
  encoder: 'encode-',
  'image-resize': 'resize-',
  assembler: 'assemble-',
} as const;

export async function removeLeftoverWorkDirs(tmpDir: string, prefix: string): Promise<void> {
  const entries = await readdir(tmpDir).catch(() => [] as string[]);
  await Promise.all(entries.filter((name) => name.startsWith(prefix)).map((name) => rm(join(tmpDir, name), { recursive: true, force: true })));
}
