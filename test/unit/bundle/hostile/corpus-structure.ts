/**
 * Hostile bundles, part 1: the records that frame the bundle zip, which two zip readers could read
 * differently: the end record against the central directory, zip64 records against the classic ones,
 * bytes before the first local header and after the end record. DESIGN.md "One reading of every byte".
 */
import { zip64Extra } from '../../../support/raw-zip';
import { bundleWith, endRecord, type HostileCase } from './kit';

const END = /end record|end-of-central-directory|central directory/i;
const ZIP64 = /zip64/i;

/** The base bundle with the end record patched by `patch` (given the real values). */
async function endLie(patch: (real: { cdSize: number; cdOffset: number }) => object): Promise<Buffer> {
  const real = endRecord(await bundleWith());
  return bundleWith([], patch(real));
}

export const STRUCTURE_CASES: HostileCase[] = [
  // the end record against the central directory
  {
    name: 'end record: more entries than the central directory holds',
    build: () => bundleWith([], { entryCount: 4 }),
    code: 'ZIP_END_RECORD_MISMATCH',
    words: [END],
  },
  {
    name: 'end record: fewer entries than the central directory holds (a record only some readers see)',
    build: () => bundleWith([], { entryCount: 2 }),
    code: 'ZIP_END_RECORD_MISMATCH',
    words: [END],
  },
  {
    name: 'end record: central directory size too large',
    build: () => endLie((r) => ({ cdSize: r.cdSize + 46 })),
    code: 'ZIP_END_RECORD_MISMATCH',
    words: [END],
  },
  {
    name: 'end record: size and count hiding the last central record',
    build: () => endLie((r) => ({ cdSize: r.cdSize - 46 - 'static/a.txt'.length, entryCount: 2 })),
    code: 'ZIP_END_RECORD_MISMATCH',
    words: [END],
  },
  {
    name: 'end record: central directory offset off by one',
    build: () => endLie((r) => ({ cdOffset: r.cdOffset + 1 })),
    code: 'ZIP_END_RECORD_MISMATCH',
    words: [END],
  },
  {
    name: 'end record: central directory offset pointing at a local header',
    build: () => bundleWith([], { cdOffset: 0 }),
    code: 'ZIP_END_RECORD_MISMATCH',
    words: [END],
  },
  {
    name: 'end record: comment length longer than the bytes left',
    build: () => bundleWith([], { comment: 'hello', commentLength: 60 }),
    code: ['ZIP_END_RECORD_MISMATCH', 'TRUNCATED_ZIP'],
    words: [/comment|end record|truncated/i],
  },
  {
    name: 'end record: comment length shorter than the bytes left',
    build: () => bundleWith([], { comment: 'hello world, and more', commentLength: 5 }),
    code: 'ZIP_TRAILING_DATA',
    words: [/after|trailing|append/i],
  },
  {
    name: 'end record: entries on this disk differing from the total',
    build: () => bundleWith([], { entryCountThisDisk: 2 }),
    code: ['ZIP_END_RECORD_MISMATCH', 'MULTI_DISK_ZIP'],
    words: [/end record|central directory|disk/i],
  },
  {
    name: 'end record: spanned (multi-disk) archive',
    build: () => bundleWith([], { diskNumber: 1, cdStartDisk: 1 }),
    code: 'MULTI_DISK_ZIP',
    words: [/disk|span/i],
  },
  {
    name: 'a fake end record inside the comment (Python and unzip read a shorter directory)',
    build: async () => {
      const { cdOffset } = endRecord(await bundleWith());
      const fake = Buffer.alloc(22);
      fake.writeUInt32LE(0x06054b50, 0);
      fake.writeUInt16LE(2, 8);
      fake.writeUInt16LE(2, 10);
      fake.writeUInt32LE(46 + 'manifest.json'.length + 46 + 'fn.zip'.length, 12);
      fake.writeUInt32LE(cdOffset, 16);
      return bundleWith([], { comment: fake });
    },
    code: ['ZIP_END_RECORD_MISMATCH', 'ZIP_TRAILING_DATA'],
    words: [/end record|central directory|comment/i],
  },
  // zip64 records against the classic ones
  {
    name: 'zip64 end record: entry count disagrees with the classic record',
    build: () => bundleWith([], { zip64End: { entryCount: 4 } }),
    code: 'ZIP64_MISMATCH',
    words: [ZIP64],
  },
  {
    name: 'zip64 end record: central directory offset disagrees with the classic record',
    build: () => bundleWith([], { zip64End: { cdOffset: 0 } }),
    code: 'ZIP64_MISMATCH',
    words: [ZIP64],
  },
  {
    name: 'zip64 end record: central directory size disagrees with the classic record',
    build: () => endLie((r) => ({ zip64End: { cdSize: r.cdSize + 46 } })),
    code: 'ZIP64_MISMATCH',
    words: [ZIP64],
  },
  {
    name: 'zip64 locator pointing away from the zip64 end record',
    build: () => bundleWith([], { zip64End: { locatorOffset: 0 } }),
    code: 'ZIP64_MISMATCH',
    words: [ZIP64],
  },
  {
    name: 'zip64 end record (classic fields 0xFFFF) counting fewer entries than the directory has',
    build: () => bundleWith([], { zip64End: { classicMax: true, entryCount: 2 } }),
    code: ['ZIP_END_RECORD_MISMATCH', 'ZIP64_MISMATCH'],
    words: [/end record|central directory|zip64/i],
  },
  {
    name: 'zip64 extra field of a local header disagreeing with the central one',
    build: () =>
      bundleWith([{ name: 'static/b.txt', data: 'hello zip64', zip64: true, localExtra: zip64Extra(3, 3) }]),
    code: 'LOCAL_HEADER_MISMATCH',
    names: ['static/b.txt'],
  },
  // bytes outside the zip
  {
    name: 'a self-extractor stub before the zip (offsets adjusted, as zip -A does)',
    build: () =>
      bundleWith([], { prefix: Buffer.from(`#!/bin/sh\nexec unzip -o "$0"\n${'#'.repeat(200)}\n`) }),
    code: 'ZIP_LEADING_DATA',
    words: [/before|leading|prefix|prepend/i],
  },
  {
    name: 'a polyglot: a PDF header before the zip, offsets not adjusted',
    build: () =>
      bundleWith([], {
        prefix: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'),
        prefixAdjustsOffsets: false,
      }),
    code: ['ZIP_LEADING_DATA', 'ZIP_END_RECORD_MISMATCH'],
    words: [/before|leading|prefix|prepend|end record|central directory/i],
  },
  {
    name: 'junk appended after the end record',
    build: () => bundleWith([], { trailing: Buffer.from('appended junk, maybe a second payload') }),
    code: 'ZIP_TRAILING_DATA',
    words: [/after|trailing|append/i],
  },
  {
    name: 'a second end record appended',
    build: async () => {
      const zip = await bundleWith();
      return Buffer.concat([zip, zip.subarray(zip.length - 22)]);
    },
    code: ['ZIP_TRAILING_DATA', 'ZIP_END_RECORD_MISMATCH'],
    words: [/after|trailing|append|end record|central directory/i],
  },
];
