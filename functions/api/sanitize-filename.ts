/**
 * A user's file name made safe as the last part of `uploads/<uploadId>/<name>`. The name is
 * the user's, never a path: anything that would leave its prefix (`..`, an absolute path, a
 * backslash, a control character) is refused rather than quietly rewritten, so a client
 * learns that its input was wrong.
 */

/** Characters, not bytes: S3 keys allow 1024 UTF-8 bytes and the prefix takes some. */
export const MAX_FILENAME_CHARACTERS = 200;

export type SanitizedFilename = { ok: true; name: string } | { ok: false; reason: string };

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides that
// make a key read differently from what it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export function sanitizeFilename(filename: string): SanitizedFilename {
  const name = filename.normalize('NFC').trim();
  if (name === '') return { ok: false, reason: 'the file name is empty' };
  if (CONTROL.test(name)) return { ok: false, reason: 'the file name holds a control character' };
  if (name.includes('\\')) return { ok: false, reason: 'the file name holds a backslash' };
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return { ok: false, reason: 'the file name is an absolute path' };
  const parts = name.split('/');
  if (parts.some((part) => part === '..' || part === '.')) return { ok: false, reason: 'the file name holds a `..` or `.` segment' };
  // A relative path (`photos/cat.jpg`) keeps its last part: the folder was the user's, not ours.
  const last = parts.filter((part) => part.trim() !== '').at(-1)?.trim() ?? '';
  if (last === '') return { ok: false, reason: 'the file name is empty' };
  // Format characters (zero-width spaces and joiners, BOM) alone would make an invisible key.
  if (last.replace(/[\p{Cf}\s]/gu, '') === '') return { ok: false, reason: 'the file name has nothing visible in it' };
  return { ok: true, name: boundLength(last) };
}

/** Cut by code points, keeping the extension, so no surrogate pair is split. */
function boundLength(name: string): string {
  const characters = [...name];
  if (characters.length <= MAX_FILENAME_CHARACTERS) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? [...name.slice(dot)] : [];
  const keep = extension.length > 0 && extension.length <= 16 ? extension : [];
  return [...characters.slice(0, MAX_FILENAME_CHARACTERS - keep.length), ...keep].join('');
}
