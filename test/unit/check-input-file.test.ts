import { describe, expect, it } from 'vitest';
import { inputFileProblem, type InputFileFacts } from '../../infra/cli/check-input-file.ts';

describe('inputFileProblem', () => {
  it.each<[string, InputFileFacts, string | undefined]>([
    ['a readable file', { kind: 'file' }, undefined],
    ['a missing path', { kind: { statError: 'ENOENT' } }, 'talk.mov: no such file'],
    ['a path through a file', { kind: { statError: 'ENOTDIR' } }, 'talk.mov: no such file'],
    ['a directory', { kind: 'directory' }, 'talk.mov: is a directory; give one file (each upload is one file)'],
    ['a socket or a device', { kind: 'other' }, 'talk.mov: not a regular file'],
    ['a file without read permission', { kind: 'file', openError: 'EACCES' }, 'talk.mov: not readable: permission denied (EACCES)'],
    ['a file the system refuses to open', { kind: 'file', openError: 'EPERM' }, 'talk.mov: not readable: permission denied (EPERM)'],
    ['a file that fails to open otherwise', { kind: 'file', openError: 'EIO' }, 'talk.mov: cannot be opened (EIO)'],
    ['a path that cannot be examined', { kind: { statError: 'ELOOP' } }, 'talk.mov: cannot be examined (ELOOP)'],
  ])('%s', (_name, facts, expected) => {
    expect(inputFileProblem('talk.mov', facts)).toBe(expected);
  });
});
