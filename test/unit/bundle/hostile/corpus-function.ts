/**
 * Hostile bundles, part 4: the same attacks inside a function zip (which Lambda reads with its own
 * reader, after our IAM writes), and the caps. Inside a function zip a structural problem is
 * FUNCTION_ZIP_INVALID with a message naming "<fn>.zip" and the inner entry; every inner entry is
 * inflated and checked before any AWS write. DESIGN.md "One reading of every byte".
 */
import { DEFAULT_LIMITS, type BundleLimits } from '../../../../src/bundle';
import { functionZip } from '../../../support/bundle-builder';
import { rawZip, type RawZipEntry } from '../../../support/raw-zip';
import {
  appManifest,
  bundleAround,
  bundleWith,
  endRecord,
  FN_ZIP,
  HANDLER,
  innerZip,
  manyEntriesZip,
  type HostileCase,
} from './kit';

const INVALID = 'FUNCTION_ZIP_INVALID';

/** A function-zip case: the bundle around `zip()`, the message naming api.zip (and `inner`). */
function inner(
  title: string,
  zip: () => Buffer | Promise<Buffer>,
  innerName?: string | Buffer,
  code: string | string[] = INVALID,
): HostileCase {
  return {
    name: `inside a function zip: ${title}`,
    build: async () => bundleAround(await zip()),
    code,
    names: innerName === undefined ? [FN_ZIP] : [FN_ZIP, innerName],
  };
}

const one = (entry: RawZipEntry) => () => innerZip([entry]);

function innerOverlap(): Buffer {
  const entries: RawZipEntry[] = [
    HANDLER,
    { name: 'lib/b.js', data: 'b', centralOnly: true, localHeaderOffset: 0 },
  ];
  return rawZip(entries);
}

function innerOutOfBounds(): Buffer {
  const { cdOffset } = endRecord(innerZip());
  return innerZip([{ name: 'lib/far.js', data: 'x', centralOnly: true, localHeaderOffset: cdOffset + 5000 }]);
}

/** The limit key of the static-file cap (its name is the reader's; found by its meaning). */
export function staticFilesLimit(): Partial<BundleLimits> {
  const key = Object.keys(DEFAULT_LIMITS).find((k) => /static/i.test(k));
  return key === undefined ? {} : ({ [key]: 3 } as Partial<BundleLimits>);
}

export const FUNCTION_CASES: HostileCase[] = [
  inner('the end record counting more entries', () => innerZip([], { entryCount: 3 })),
  inner('the zip64 end record disagreeing with the classic one', () =>
    innerZip([], { zip64End: { entryCount: 7 } }),
  ),
  inner('a prefix before the first local header', () => innerZip([], { prefix: Buffer.from('MZ stub') })),
  inner('bytes after the end record', () => innerZip([], { trailing: Buffer.from('trailing') })),
  inner(
    'a local name differing from the central one',
    one({ name: 'lib/a.js', localName: 'lib/A.js', data: 'a' }),
    'lib/a.js',
  ),
  inner(
    'a local method differing',
    one({ name: 'lib/m.js', data: 'mmmm'.repeat(30), method: 8, localMethod: 0 }),
    'lib/m.js',
  ),
  inner(
    'a data descriptor disagreeing',
    one({ name: 'lib/d.js', data: 'dd', dataDescriptor: { crc32: 7 } }),
    'lib/d.js',
  ),
  inner('two central records at one local header', innerOverlap, 'lib/b.js'),
  inner('a second index.js hidden between two entries (streaming readers see it)', () =>
    rawZip([
      HANDLER,
      { ...HANDLER, data: 'exports.handler = evil;', localOnly: true },
      { name: 'lib/a.js', data: 'a' },
    ]),
  ),
  inner('a central record pointing outside the file', innerOutOfBounds, 'lib/far.js'),
  inner('a control character in a name', one({ name: 'lib/a\x01.js', data: 'a' }), 'lib/a\x01.js'),
  inner(
    'a name that is not UTF-8',
    one({ name: Buffer.from('lib/\xff.js', 'latin1'), data: 'a' }),
    Buffer.from('lib/\xff.js', 'latin1'),
  ),
  inner('zip-slip ".."', one({ name: '../../evil.js', data: 'a' }), '../../evil.js'),
  inner('fullwidth dots (NFKC "..")', one({ name: '．．/evil.js', data: 'a' }), '．．/evil.js'),
  inner('an absolute path', one({ name: '/opt/evil.js', data: 'a' }), '/opt/evil.js'),
  inner('a fullwidth reverse solidus', one({ name: 'lib＼..＼x.js', data: 'a' }), 'lib＼..＼x.js'),
  inner('a directory entry holding data', one({ name: 'lib/', data: 'hidden' }), 'lib/'),
  inner('a duplicate name', one({ ...HANDLER, data: 'exports.handler = evil;' }), 'index.js'),
  inner('an unsupported method', one({ name: 'lib/x.js', data: 'x', method: 14 }), 'lib/x.js', [
    INVALID,
    'UNSUPPORTED_COMPRESSION',
  ]),
  inner('an encrypted entry', one({ name: 'lib/s.js', data: 'secret', flags: 0x801 }), 'lib/s.js', [
    INVALID,
    'ENCRYPTED_ENTRY',
    'FUNCTION_ZIP_ENCRYPTED',
  ]),
  inner(
    'a corrupt entry (CRC-32)',
    one({ name: 'lib/c.js', data: 'corrupt', method: 8, crc32: 0xbad }),
    'lib/c.js',
    'ENTRY_CRC_MISMATCH',
  ),
  inner(
    'an entry lying about its size',
    one({ name: 'lib/l.js', data: 'l'.repeat(5000), method: 8, uncompressedSize: 10 }),
    'lib/l.js',
    ['ENTRY_SIZE_MISMATCH', INVALID],
  ),
  inner(
    'corrupt deflate data',
    one({ name: 'lib/g.js', data: 'g', method: 8, rawData: Buffer.from([0xff, 0xff, 0xff]) }),
    'lib/g.js',
    [INVALID, 'ENTRY_CRC_MISMATCH'],
  ),
  {
    name: 'an empty function zip',
    build: () => bundleAround(rawZip([])),
    code: 'FUNCTION_ZIP_EMPTY',
    names: [FN_ZIP],
  },
  {
    name: 'a function zip that is not a zip',
    build: () => bundleAround(Buffer.from('#!/bin/sh\necho not a zip\n')),
    code: INVALID,
    names: [FN_ZIP],
  },
  // caps
  {
    name: 'a function zip with more entries than the limit (override)',
    build: () => bundleAround(manyEntriesZip(11, (i) => `lib/f${i}.js`, [HANDLER])),
    limits: { maxFunctionEntries: 10 },
    code: 'FUNCTION_ZIP_TOO_MANY_ENTRIES',
    names: [FN_ZIP],
  },
  {
    name: 'a function zip with 50,001 entries (the real cap)',
    build: () => bundleAround(manyEntriesZip(50_000, (i) => `node_modules/m/f${i}.js`, [HANDLER])),
    code: 'FUNCTION_ZIP_TOO_MANY_ENTRIES',
    names: [FN_ZIP],
    words: [/50,?000/],
  },
  {
    name: 'a function unzipping to more than the limit (override)',
    build: () => bundleAround(innerZip([{ name: 'lib/big.js', data: Buffer.alloc(4000, 0x61), method: 8 }])),
    limits: { maxFunctionUnzippedBytes: 2000 },
    code: 'FUNCTION_UNZIPPED_TOO_LARGE',
    names: [FN_ZIP],
  },
  {
    name: '65 functions (cap 64)',
    build: async () => {
      const names = Array.from({ length: 65 }, (_, i) => `f${i}`);
      const zip = await functionZip();
      return rawZip([
        { name: 'manifest.json', data: JSON.stringify(appManifest(names)), method: 8 },
        ...names.map((n) => ({ name: `${n}.zip`, data: zip })),
      ]);
    },
    code: 'TOO_MANY_FUNCTIONS',
    words: [/65/, /64/],
  },
  {
    name: 'more static files than the limit (override)',
    build: () => bundleWith([1, 2, 3].map((i) => ({ name: `static/s${i}.txt`, data: 's' }))),
    limits: staticFilesLimit(),
    code: 'TOO_MANY_STATIC_FILES',
    words: [/static/i],
  },
  {
    name: 'a bundle with 5,001 static files (the real cap)',
    build: () => bundleWith(Array.from({ length: 5_000 }, (_, i) => ({ name: `static/img/f${i}.png` }))),
    code: 'TOO_MANY_STATIC_FILES',
    words: [/5,?001/, /5,?000/],
  },
  {
    name: 'a bundle with 10,001 entries (the real cap)',
    build: () => bundleWith(Array.from({ length: 9_998 }, (_, i) => ({ name: `static/f${i}.txt` }))),
    code: 'TOO_MANY_ENTRIES',
    words: [/10,?000/],
  },
  {
    name: 'total unzipped size above the limit (override)',
    build: () => bundleWith([{ name: 'static/big.bin', data: Buffer.alloc(4096, 1) }]),
    limits: { maxTotalUnzippedBytes: 2048 },
    code: 'TOTAL_UNZIPPED_TOO_LARGE',
    words: [/2,?048/],
  },
];
