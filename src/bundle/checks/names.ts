/**
 * Check: entry names. Decided here, once, for every reader:
 * - a name is always decoded as UTF-8 and must be valid UTF-8, whatever bit 11 says;
 * - in the BUNDLE a non-ASCII name must also carry bit 11 (the UTF-8 flag): without it Python's
 *   zipfile, Windows and others decode CP437, so two readers would see two names. Inside a function
 *   zip valid UTF-8 is enough (Info-ZIP's `zip` writes UTF-8 names without the flag; the names only
 *   matter to the function's own runtime);
 * - no control characters (C0, DEL, C1) and no bidi overrides (they disguise names on screen);
 * - after NFKC normalization: no backslash, no absolute path ("/x", drive letter "C:"), no ".." or
 *   "." or empty segment; and no slash or backslash look-alike (before or after NFKC);
 * - a name longer than the reader's cap (limits.ts) is refused: it would only cost memory.
 */
import { q } from '../issues';
import { FLAG_UTF8, escapeBytes, type ZipEntry, type ZipReporter } from '../zip/format';

/** Bytes of an undecodable name shown in messages. */
const LABEL_BYTES = 256;

/** Characters that look like "/" or "\" without being them (NFKC maps some, not all). */
export const SLASH_LOOKALIKES: readonly string[] = [
  '\u2215', // DIVISION SLASH
  '\u2044', // FRACTION SLASH
  '\uff0f', // FULLWIDTH SOLIDUS
  '\uff3c', // FULLWIDTH REVERSE SOLIDUS
  '\u29f8', // BIG SOLIDUS
  '\u29f9', // BIG REVERSE SOLIDUS
  '\u2571', // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
  '\u2572', // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
  '\ufe68', // SMALL REVERSE SOLIDUS
  '\u2216', // SET MINUS
  '\u29f5', // REVERSE SOLIDUS OPERATOR
  '\u29f6', // SOLIDUS WITH OVERBAR
  '\u29f7', // REVERSE SOLIDUS WITH HORIZONTAL STROKE
  '\u27cb', // MATHEMATICAL RISING DIAGONAL
  '\u27cd', // MATHEMATICAL FALLING DIAGONAL
  '\u1735', // PHILIPPINE SINGLE PUNCTUATION
  '\u3033', // VERTICAL KANA REPEAT MARK UPPER HALF
  '\u0338', // COMBINING LONG SOLIDUS OVERLAY
  '\u0337', // COMBINING SHORT SOLIDUS OVERLAY
  '\u20e5', // COMBINING REVERSE SOLIDUS OVERLAY
  '\u2cc6', // COPTIC CAPITAL LETTER OLD COPTIC ESH (a slanted stroke)
];
const LOOKALIKE = new RegExp(SLASH_LOOKALIKES.join('|'), 'u');
// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

/** The name after NFKC normalization (ASCII is its own normal form: skipped, it is most names). */
export function nfkcOf(name: string): string {
  return ASCII.test(name) ? name : name.normalize('NFKC');
}
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface NameRules {
  /** non-ASCII names must carry the UTF-8 flag (bit 11) */
  requireUtf8Flag: boolean;
  maxNameBytes: number;
}

/** The decoded name, or undefined (reported) when it is not valid UTF-8. */
export function decodeName(
  nameBytes: Buffer,
  flags: number,
  entry: ZipEntry,
  rules: NameRules,
  reporter: ZipReporter,
): string | undefined {
  const bad = (message: string): undefined => {
    const long = nameBytes.length > LABEL_BYTES;
    entry.label = escapeBytes(long ? nameBytes.subarray(0, LABEL_BYTES) : nameBytes) + (long ? '…' : '');
    reporter.report('BAD_ENTRY_NAME', entry, `entry ${q(entry.label)}: ${message}`);
    entry.bad = true;
    return undefined;
  };
  if (nameBytes.length === 0) return bad('its name is empty');
  if (nameBytes.length > rules.maxNameBytes) {
    return bad(`its name is ${nameBytes.length} bytes long, more than the limit of ${rules.maxNameBytes}`);
  }
  let name: string;
  try {
    name = utf8.decode(nameBytes);
  } catch {
    return bad('its name is not valid UTF-8');
  }
  const ascii = nameBytes.every((b) => b < 0x80);
  if (!ascii && rules.requireUtf8Flag && (flags & FLAG_UTF8) === 0) {
    return bad(
      'its name is not ASCII and the UTF-8 flag (bit 11) is not set: zip readers would decode it differently (UTF-8 or CP437); build the zip with a tool that sets the flag',
    );
  }
  return name;
}

const codePoint = (c: string): string =>
  `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The problem with a decoded name's path, or undefined when it is safe. */
export function unsafePath(name: string, n: string = nfkcOf(name)): string | undefined {
  const lookalike = LOOKALIKE.exec(name) ?? LOOKALIKE.exec(n);
  if (lookalike) return `has ${codePoint(lookalike[0])} in its name, a look-alike of "/" or "\\"`;
  const nfkc = n === name ? '' : ' (after NFKC normalization)';
  if (n.includes('\\')) return `has a backslash in its name${nfkc}; zip entry paths use "/" only`;
  if (n.startsWith('/')) return `has an absolute path${nfkc}; entries must be relative to the zip root`;
  if (/^[A-Za-z]:/.test(n))
    return `starts with a drive letter${nfkc}; entries must be relative to the zip root`;
  const segments = (n.endsWith('/') ? n.slice(0, -1) : n).split('/');
  if (segments.includes('..')) {
    return `has a ".." path segment${nfkc} (zip-slip: it would escape the folder it is extracted to)`;
  }
  if (segments.some((s) => s === '' || s === '.')) return `has an empty or "." path segment${nfkc}`;
  return undefined;
}

/** Control characters, then path safety; marks the entry bad when either fails. */
export function checkName(name: string, nfkc: string, entry: ZipEntry, reporter: ZipReporter): void {
  if (CONTROL.test(name)) {
    reporter.report('BAD_ENTRY_NAME', entry, `entry ${q(entry.label)} has a control character in its name`);
    entry.bad = true;
  }
  const problem = unsafePath(name, nfkc);
  if (problem) {
    reporter.report('UNSAFE_ENTRY_PATH', entry, `entry ${q(entry.label)} ${problem}`);
    entry.bad = true;
  }
}
