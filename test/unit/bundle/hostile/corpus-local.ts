/**
 * Hostile bundles, part 2: local headers and data descriptors against central records ("validated as
 * one app, read as another"), data ranges computed from the local headers (shifted, overlapping, out
 * of the file, or leaving bytes no record accounts for), and the bytes of an entry against its records.
 * DESIGN.md "One reading of every byte".
 */
import zlib from 'node:zlib';
import {
  appManifest,
  baseEntries,
  bundleChanging,
  bundleWith,
  endRecord,
  localRecord,
  offsetsOf,
  rawZip,
  type HostileCase,
} from './kit';

const LOCAL = /local header|local/i;
const OVERLAP = /overlap/i;
/** DESIGN.md names no code for bytes between entries; any of these structural codes will do. */
const GAP = [
  'ZIP_LEADING_DATA',
  'ZIP_TRAILING_DATA',
  'ZIP_END_RECORD_MISMATCH',
  'LOCAL_HEADER_MISMATCH',
  'OVERLAPPING_ENTRIES',
  'ENTRY_OUT_OF_BOUNDS',
];
const GAP_WORDS = /belong to no|no entry|not covered|unaccounted|hidden|gap|between/i;

export const LOCAL_CASES: HostileCase[] = [
  // local headers against central records: validated as one app, read as another
  {
    name: 'local header name differing in case (manifest.jsoN)',
    build: () => bundleChanging(0, { localName: 'manifest.jsoN' }),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['manifest.json'],
    words: [LOCAL],
  },
  {
    name: 'a second manifest.json seen only by local-header (streaming) readers',
    build: () =>
      bundleWith([
        {
          name: 'static/x.json',
          localName: 'manifest.json',
          data: JSON.stringify(appManifest(['evil'])),
          method: 8,
        },
      ]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/x.json'],
    words: [LOCAL],
  },
  {
    name: 'local method stored, central deflate',
    build: () =>
      bundleWith([{ name: 'static/m.txt', data: 'method '.repeat(20), method: 8, localMethod: 0 }]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/m.txt'],
  },
  {
    name: 'local flags without the UTF-8 bit (the name decodes differently)',
    build: () => bundleWith([{ name: 'static/é.txt', data: 'e', localFlags: 0 }]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/é.txt'],
  },
  {
    name: 'local CRC-32 differing',
    build: () => bundleWith([{ name: 'static/c.txt', data: 'crc', localCrc32: 0xdeadbeef }]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/c.txt'],
  },
  {
    name: 'local compressed size differing',
    build: () => bundleWith([{ name: 'static/s.txt', data: 'size', localCompressedSize: 2 }]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/s.txt'],
  },
  {
    name: 'local uncompressed size differing',
    build: () => bundleWith([{ name: 'static/u.txt', data: 'usize', method: 8, localUncompressedSize: 99 }]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/u.txt'],
  },
  {
    name: 'data descriptor CRC-32 disagreeing with the central record',
    build: () =>
      bundleWith([{ name: 'static/d.txt', data: 'streamed', method: 8, dataDescriptor: { crc32: 1 } }]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/d.txt'],
  },
  {
    name: 'data descriptor sizes disagreeing with the central record',
    build: () =>
      bundleWith([
        {
          name: 'static/e.txt',
          data: 'streamed data',
          dataDescriptor: { signature: false, compressedSize: 3, uncompressedSize: 3 },
        },
      ]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/e.txt'],
  },
  // data ranges computed from the local header
  {
    name: 'local extra field length shifting the data into the next entry',
    build: () => bundleChanging(0, { localExtraLength: 200 }),
    code: 'OVERLAPPING_ENTRIES',
    names: ['manifest.json', 'fn.zip'],
    anyName: true,
    words: [OVERLAP],
  },
  {
    name: 'local extra field length shifting the last entry into the central directory',
    build: () => bundleChanging(2, { localExtraLength: 300 }),
    code: 'ENTRY_OUT_OF_BOUNDS',
    names: ['static/a.txt'],
  },
  {
    name: 'two central records at one local header (overlap bomb)',
    build: async () =>
      bundleWith([{ name: 'static/again.txt', data: 'hello', centralOnly: true, localHeaderOffset: 0 }]),
    code: ['OVERLAPPING_ENTRIES', 'LOCAL_HEADER_MISMATCH'],
    names: ['static/again.txt', 'manifest.json'],
    anyName: true,
  },
  {
    name: 'an entry whose data holds another entry (overlap, names agreeing)',
    build: async () => {
      const inner = { name: 'static/inner.txt', data: 'inner payload' };
      const outer = { name: 'static/outer.bin', data: localRecord(inner) };
      const entries = [...(await baseEntries()), outer];
      const at = offsetsOf(entries)[3]! + 30 + outer.name.length;
      return rawZip([...entries, { ...inner, centralOnly: true, localHeaderOffset: at }]);
    },
    code: 'OVERLAPPING_ENTRIES',
    names: ['static/inner.txt', 'static/outer.bin'],
    anyName: true,
    words: [OVERLAP],
  },
  {
    name: 'a central record pointing outside the file',
    build: () =>
      bundleWith([{ name: 'static/far.txt', data: 'x', centralOnly: true, localHeaderOffset: 50_000_000 }]),
    code: 'ENTRY_OUT_OF_BOUNDS',
    names: ['static/far.txt'],
  },
  {
    name: 'a central record pointing into the central directory',
    build: async () => {
      const base = await bundleWith();
      const { cdOffset } = endRecord(base);
      return bundleWith([
        { name: 'static/cd.txt', data: 'x', centralOnly: true, localHeaderOffset: cdOffset },
      ]);
    },
    code: ['ENTRY_OUT_OF_BOUNDS', 'LOCAL_HEADER_MISMATCH'],
    names: ['static/cd.txt'],
  },
  {
    name: 'sizes in both headers running past the central directory',
    build: () =>
      bundleWith([
        { name: 'static/long.bin', data: 'short', compressedSize: 1_000_000, uncompressedSize: 1_000_000 },
      ]),
    code: 'ENTRY_OUT_OF_BOUNDS',
    names: ['static/long.bin'],
  },
  // bytes no central record accounts for: streaming readers (which walk the local headers) see them
  {
    name: 'a manifest.json local entry hidden between two entries (seen by streaming readers only)',
    build: async () => {
      const [m, fn, a] = await baseEntries();
      const hidden = { name: 'manifest.json', data: JSON.stringify(appManifest(['evil'])), localOnly: true };
      return rawZip([m!, hidden, fn!, a!]);
    },
    code: GAP,
    words: [GAP_WORDS],
  },
  {
    name: 'bytes between the last entry and the central directory',
    build: async () => {
      const [m, fn, a] = await baseEntries();
      return rawZip([m!, fn!, { ...a!, after: Buffer.from('stray bytes no record accounts for') }]);
    },
    code: GAP,
    words: [GAP_WORDS],
  },
  // the bytes of an entry against its records
  {
    name: 'an entry inflating to more than it declares',
    build: () =>
      bundleWith([
        { name: 'static/liar.txt', data: Buffer.alloc(100_000, 0x61), method: 8, uncompressedSize: 10 },
      ]),
    code: 'ENTRY_SIZE_MISMATCH',
    names: ['static/liar.txt'],
  },
  {
    name: 'a stored entry whose compressed and uncompressed sizes differ (in both headers)',
    build: () => bundleWith([{ name: 'static/stored.txt', data: 'ten bytes!', uncompressedSize: 5 }]),
    code: ['ENTRY_SIZE_MISMATCH', 'LOCAL_HEADER_MISMATCH'],
    names: ['static/stored.txt'],
  },
  {
    name: 'an entry failing its CRC-32 (in both headers)',
    build: () => bundleWith([{ name: 'static/bad-crc.txt', data: 'hello world', crc32: 0x12345678 }]),
    code: 'ENTRY_CRC_MISMATCH',
    names: ['static/bad-crc.txt'],
  },
  {
    name: 'a compression-ratio bomb',
    build: () =>
      bundleWith([
        {
          name: 'static/zeros.bin',
          data: Buffer.alloc(8 * 1024 * 1024),
          method: 8,
          rawData: zlib.deflateRawSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 }),
        },
      ]),
    code: 'COMPRESSION_RATIO_TOO_HIGH',
    names: ['static/zeros.bin'],
  },
  {
    name: 'a truncated bundle',
    build: async () => {
      const zip = await bundleWith();
      return zip.subarray(0, Math.floor(zip.length / 2));
    },
    code: 'TRUNCATED_ZIP',
    words: [/truncated/i],
  },
  {
    name: 'a text file',
    build: async () => Buffer.from('PK? no, just text pretending to be a bundle\n'),
    code: 'NOT_A_ZIP',
    words: [/not a zip/i],
  },
  {
    name: 'a gzip file',
    build: async () => zlib.gzipSync(Buffer.from(JSON.stringify(appManifest()))),
    code: 'NOT_A_ZIP',
    words: [/not a zip/i],
  },
];
