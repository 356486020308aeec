/**
 * Building blocks of the hostile corpus: a valid base bundle in raw entries, a bundle around a given
 * function zip, byte patches, and how an entry name must look in a message (control characters and
 * invalid UTF-8 bytes shown as \xNN, the message free of raw control characters).
 */
import type { BundleLimits } from '../../../../src/bundle';
import { functionZip } from '../../../support/bundle-builder';
import { localOffsets, rawZip, type RawZipEntry, type RawZipOptions } from '../../../support/raw-zip';
import { manifest } from '../helpers';

export interface HostileCase {
  name: string;
  build: () => Promise<Buffer>;
  limits?: Partial<BundleLimits>;
  /** the error code that must be reported (one of, where the contract allows two) */
  code: string | string[];
  /** entry names (raw) the message must show, escaped; with `anyName`, one of them is enough */
  names?: (string | Buffer)[];
  anyName?: boolean;
  /** what the message must say about the problem */
  words?: RegExp[];
}

export interface ValidCase {
  name: string;
  build: () => Promise<Buffer>;
  /** warnings that must be reported: code and the entry path */
  warnings?: { code: string; path: string }[];
  /** the bundle's static assets (entry names) and functions (entry names), exactly */
  assets?: string[];
  functions?: string[];
}

export const FN = 'api';
export const FN_ZIP = `${FN}.zip`;
export const HANDLER: RawZipEntry = {
  name: 'index.js',
  data: 'exports.handler = async () => ({ statusCode: 200 });\n',
  method: 8,
};

export const appManifest = (fns: string[] = ['fn']): Record<string, unknown> =>
  manifest({
    aws_lambda: fns.map((name, i) => ({
      path: i === 0 ? '/' : `/${i}`,
      name,
      handler: 'index.handler',
      runtime: 'nodejs24.x',
    })),
  });

/** manifest.json, fn.zip (yazl), static/a.txt: a valid bundle, as raw entries. */
export async function baseEntries(): Promise<RawZipEntry[]> {
  return [
    { name: 'manifest.json', data: JSON.stringify(appManifest()), method: 8 },
    { name: 'fn.zip', data: await functionZip() },
    { name: 'static/a.txt', data: 'hello', method: 8 },
  ];
}

/** The base bundle plus `extra` entries, written with `options`. */
export async function bundleWith(extra: RawZipEntry[] = [], options?: RawZipOptions): Promise<Buffer> {
  return rawZip([...(await baseEntries()), ...extra], options);
}

/** The base bundle with entry `i` changed. */
export async function bundleChanging(
  i: number,
  change: Partial<RawZipEntry>,
  options?: RawZipOptions,
): Promise<Buffer> {
  const entries = await baseEntries();
  entries[i] = { ...entries[i]!, ...change };
  return rawZip(entries, options);
}

/** A bundle whose one function, "api", has the given zip. */
export async function bundleAround(fnZip: Buffer): Promise<Buffer> {
  return rawZip([
    { name: 'manifest.json', data: JSON.stringify(appManifest([FN])), method: 8 },
    { name: FN_ZIP, data: fnZip },
    { name: 'static/a.txt', data: 'hello', method: 8 },
  ]);
}

/** A function zip: index.js plus `extra`, raw. */
export const innerZip = (extra: RawZipEntry[] = [], options?: RawZipOptions): Buffer =>
  rawZip([HANDLER, ...extra], options);

/** Where the central directory starts and how long it is, per the end record of a comment-less zip. */
export function endRecord(zip: Buffer): { cdSize: number; cdOffset: number } {
  const at = zip.length - 22;
  return { cdSize: zip.readUInt32LE(at + 12), cdOffset: zip.readUInt32LE(at + 16) };
}

/** The local header and data bytes of one entry, alone. */
export function localRecord(entry: RawZipEntry): Buffer {
  const zip = rawZip([{ ...entry, localOnly: true }]);
  return zip.subarray(0, zip.length - 22);
}

/** Local header offsets of entries, for central records pointing at other entries' headers. */
export const offsetsOf = localOffsets;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** The ways a message may show `name`: control characters as \xNN (code point or UTF-8 bytes),
 * invalid UTF-8 bytes as \xNN. */
export function shownForms(name: string | Buffer): string[] {
  const bytes = Buffer.isBuffer(name) ? name : Buffer.from(name, 'utf8');
  const text = bytes.toString('utf8');
  const hex = (b: number): string => `\\x${b.toString(16).padStart(2, '0')}`;
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    // invalid UTF-8: keep ASCII, escape every other byte
    return [[...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : hex(b))).join('')];
  }
  const byCodePoint = [...text].map((c) => (CONTROL.test(c) ? hex(c.codePointAt(0)!) : c)).join('');
  const byBytes = [...text]
    .map((c) => (CONTROL.test(c) ? [...Buffer.from(c, 'utf8')].map(hex).join('') : c))
    .join('');
  return [...new Set([byCodePoint, byBytes])];
}

/** A message as a reader sees it once JSON-style quoting is undone (\\ → \, \u00NN → \xNN). */
export function unquoted(message: string): string {
  return message
    .replace(/\\u00([0-9a-fA-F]{2})/g, (_, h: string) => `\\x${h.toLowerCase()}`)
    .replace(/\\\\/g, '\\')
    .replace(/\\x([0-9A-F]{2})/g, (_, h: string) => `\\x${h.toLowerCase()}`);
}

export function hasRawControl(text: string): boolean {
  return CONTROL.test(text);
}

/** Cheap stored zip of `n` empty files with names made by `nameOf`. */
export function manyEntriesZip(n: number, nameOf: (i: number) => string, first: RawZipEntry[] = []): Buffer {
  const entries: RawZipEntry[] = [...first];
  for (let i = 0; i < n; i++) entries.push({ name: nameOf(i), data: Buffer.alloc(0) });
  return rawZip(entries);
}

export { rawZip };
