/**
 * A path given as the file to process, checked before any stack starts: a missing path, a
 * directory, something that is not a regular file and a file that cannot be opened each get
 * their own message.
 */
import { open, stat } from 'node:fs/promises';

/** What the file system said about the path: its kind (or why stat failed), and why open failed. */
export interface InputFileFacts {
  kind: 'file' | 'directory' | 'other' | { statError: string };
  openError?: string;
}

/** Pure: the message for a path that cannot be processed, or undefined when it can. */
export function inputFileProblem(path: string, facts: InputFileFacts): string | undefined {
  const { kind } = facts;
  if (typeof kind === 'object') return kind.statError === 'ENOENT' || kind.statError === 'ENOTDIR' ? `${path}: no such file` : `${path}: cannot be examined (${kind.statError})`;
  if (kind === 'directory') return `${path}: is a directory; give one file (each upload is one file)`;
  if (kind === 'other') return `${path}: not a regular file`;
  if (facts.openError === 'EACCES' || facts.openError === 'EPERM') return `${path}: not readable: permission denied (${facts.openError})`;
  if (facts.openError) return `${path}: cannot be opened (${facts.openError})`;
  return undefined;
}

/** Fails with inputFileProblem's message; opening the file is the only sure test that it can be read. */
export async function checkInputFile(path: string): Promise<void> {
  const problem = inputFileProblem(path, await factsOf(path));
  if (problem) throw new Error(problem);
}

async function factsOf(path: string): Promise<InputFileFacts> {
  let kind: InputFileFacts['kind'];
  try {
    const info = await stat(path);
    kind = info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other';
  } catch (error) {
    return { kind: { statError: codeOf(error) } };
  }
  if (kind !== 'file') return { kind };
  try {
    await (await open(path, 'r')).close();
    return { kind };
  } catch (error) {
    return { kind, openError: codeOf(error) };
  }
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
