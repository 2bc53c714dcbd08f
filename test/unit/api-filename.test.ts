import { describe, expect, it } from 'vitest';
import { MAX_FILENAME_CHARACTERS, sanitizeFilename } from '../../functions/api/sanitize-filename.ts';

describe('sanitizeFilename', () => {
  it.each([
    ['clip.mp4', 'clip.mp4'],
    ['  My Clip.mp4 ', 'My Clip.mp4'],
    ['photos/2024/cat.jpg', 'cat.jpg'],
    ['photos//cat.jpg/', 'cat.jpg'],
    ['Cafe\u0301.mov', 'Café.mov'], // NFC: one code point, not e + combining accent
    ['日本語の動画.mp4', '日本語の動画.mp4'],
    ['..mp4', '..mp4'],
  ])('keeps %j as %j', (input, expected) => {
    expect(sanitizeFilename(input)).toEqual({ ok: true, name: expected });
  });

  it.each([
    ['../x', '..'],
    ['a/../../x', '..'],
    ['./x', '.'],
    ['/etc/passwd', 'absolute'],
    ['C:/temp/x.mp4', 'absolute'],
    ['..\\x', 'backslash'],
    ['a\u0000b', 'control'],
    ['a\nb.mp4', 'control'],
    ['evil\u202Egnp.exe', 'control'],
    ['a\u007Fb.mp4', 'control'], // DEL
    ['a\u0085b.mp4', 'control'], // C1: next line
    ['a\u2028b.mp4', 'control'], // line separator
    ['a\u2066b.mp4', 'control'], // bidi isolate
    ['   ', 'empty'],
    ['\u200B', 'nothing visible'], // zero-width space alone: an invisible key
    ['\u200D\uFEFF', 'nothing visible'],
    ['///', 'absolute'],
  ])('refuses %j', (input, reason) => {
    const result = sanitizeFilename(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('bounds a long name by characters, keeping its extension and whole code points', () => {
    const long = sanitizeFilename(`${'a'.repeat(2000)}.mp4`);
    expect(long.ok && long.name).toBe(`${'a'.repeat(MAX_FILENAME_CHARACTERS - 4)}.mp4`);
    const emoji = sanitizeFilename('😀'.repeat(2000));
    if (!emoji.ok) throw new Error(emoji.reason);
    expect([...emoji.name]).toHaveLength(MAX_FILENAME_CHARACTERS);
    expect(emoji.name).toBe('😀'.repeat(MAX_FILENAME_CHARACTERS)); // no half surrogate pair at the cut
    expect(Buffer.from(emoji.name, 'utf8').toString('utf8')).toBe(emoji.name);
  });
});
