/**
 * Each zip-level check on a minimal raw zip: what it reports (code, entry, words of the message)
 * and that a sound zip passes it. inspectZip runs the whole pipeline; a collecting reporter records.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ZipEntry, ZipIssueCode } from '../../../../src/bundle/zip/format';
import { inspectZip, type InspectOptions, type ZipDirectory } from '../../../../src/bundle/zip/inspect';
import { tempDir } from '../../../support/bundle-builder';
import { rawZip, type RawZipEntry, type RawZipOptions } from '../../../support/raw-zip';

interface Finding {
  code: ZipIssueCode;
  entry?: string;
  message: string;
}

const BUNDLE_RULES: InspectOptions = {
  maxEntries: 100,
  maxNameBytes: 1024,
  requireUtf8Flag: true,
  keepNames: true,
  maxCompressionRatio: 100,
  ratioMinBytes: 1024 * 1024,
};

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('zip-checks-'));
});
afterAll(() => cleanup());

async function inspect(
  bytes: Buffer,
  rules: Partial<InspectOptions> = {},
): Promise<{ dir?: ZipDirectory; findings: Finding[] }> {
  const file = path.join(dir, `z${n++}.zip`);
  await writeFile(file, bytes);
  const findings: Finding[] = [];
  const report = (code: ZipIssueCode, entry: ZipEntry | undefined, message: string): void => {
    findings.push({ code, ...(entry ? { entry: entry.label } : {}), message });
  };
  const result = await inspectZip(file, { ...BUNDLE_RULES, ...rules }, { report });
  return { dir: result, findings };
}

const zip = (entries: RawZipEntry[], options?: RawZipOptions): Buffer => rawZip(entries, options);
const two: RawZipEntry[] = [
  { name: 'a.txt', data: 'hello', method: 8 },
  { name: 'b.txt', data: 'world' },
];
const codesOf = (f: Finding[]): string[] => f.map((x) => x.code);

describe('a sound zip', () => {
  it('passes every check and yields compact entries with data offsets from the local headers', async () => {
    const { dir: d, findings } = await inspect(zip(two));
    expect(findings).toEqual([]);
    expect(d?.entries.map((e) => [e.name, e.dataOffset, e.bad])).toEqual([
      ['a.txt', 30 + 5, false],
      ['b.txt', expect.any(Number), false],
    ]);
  });
});

describe('checks/end-record', () => {
  it.each<[string, Buffer, ZipIssueCode, RegExp]>([
    ['an empty file', Buffer.alloc(0), 'NOT_A_ZIP', /empty/],
    [
      'bytes after the end record',
      zip(two, { trailing: Buffer.from('junk') }),
      'ZIP_TRAILING_DATA',
      /4 bytes follow/,
    ],
    [
      'a comment longer than the file',
      zip(two, { comment: 'hi', commentLength: 40 }),
      'TRUNCATED_ZIP',
      /truncated/,
    ],
    [
      'two different entry counts',
      zip(two, { entryCountThisDisk: 1 }),
      'ZIP_END_RECORD_MISMATCH',
      /1 entries on this disk but 2/,
    ],
    ['a spanned archive', zip(two, { diskNumber: 1, cdStartDisk: 1 }), 'MULTI_DISK_ZIP', /disk/],
  ])('%s', async (_name, bytes, code, words) => {
    const { dir: d, findings } = await inspect(bytes);
    expect(d).toBeUndefined();
    expect(codesOf(findings)).toEqual([code]);
    expect(findings[0]?.message).toMatch(words);
  });
});

describe('checks/central-directory', () => {
  it.each<[string, RawZipOptions, RegExp]>([
    ['a count above the records', { entryCount: 3 }, /declares 3 entries, the central directory holds 2/],
    ['a count below the records', { entryCount: 1, entryCountThisDisk: 1 }, /more than the 1 entries/],
    ['a size that does not reach the end record', { cdSize: 50 }, /ending at/],
    ['an offset that is not the directory', { cdOffset: 3 }, /not a central directory header|ending at/],
  ])('%s', async (_name, options, words) => {
    const { dir: d, findings } = await inspect(zip(two, options));
    expect(d).toBeUndefined();
    expect(codesOf(findings)).toEqual(['ZIP_END_RECORD_MISMATCH']);
    expect(findings[0]?.message).toMatch(words);
  });
});

describe('checks/zip64', () => {
  it('accepts a zip64 end record agreeing with the classic one (real values or sentinels)', async () => {
    for (const classicMax of [false, true]) {
      const { findings } = await inspect(zip(two, { zip64End: { classicMax } }));
      expect(findings).toEqual([]);
    }
  });

  it('accepts zip64 sizes in the extra fields', async () => {
    const { dir: d, findings } = await inspect(zip([{ name: 'a.txt', data: 'hello', zip64: true }]));
    expect(findings).toEqual([]);
    expect(d?.entries[0]?.uncompressedSize).toBe(5);
  });

  it.each<[string, RawZipOptions, RegExp]>([
    [
      'a different entry count',
      { zip64End: { entryCount: 7 } },
      /entry count \(2\) differs from the zip64 end record's \(7\)/,
    ],
    ['a locator pointing elsewhere', { zip64End: { locatorOffset: 3 } }, /no zip64 end record/],
  ])('%s', async (_name, options, words) => {
    const { findings } = await inspect(zip(two, options));
    expect(codesOf(findings)).toEqual(['ZIP64_MISMATCH']);
    expect(findings[0]?.message).toMatch(words);
  });
});

describe('checks/local-headers', () => {
  it.each<[string, Partial<RawZipEntry>, RegExp]>([
    ['another name', { localName: 'evil.txt' }, /local header's name differs/],
    ['another method', { localMethod: 0 }, /method \(local 0, central 8\)/],
    ['another flag bit', { localFlags: 0x801 }, /flags \(local 0x801, central 0x800\)/],
    ['another CRC', { localCrc32: 1 }, /CRC-32 \(local 1, central/],
    ['another size', { localUncompressedSize: 6 }, /uncompressed size \(local 6, central 5\)/],
    ['a lying data descriptor', { dataDescriptor: { crc32: 7 } }, /data descriptor/],
  ])('%s', async (_name, over, words) => {
    const { findings } = await inspect(zip([{ name: 'a.txt', data: 'hello', method: 8, ...over }]));
    expect(codesOf(findings)).toEqual(['LOCAL_HEADER_MISMATCH']);
    expect(findings[0]).toMatchObject({ entry: 'a.txt', message: expect.stringMatching(words) as unknown });
  });

  it.each<[string, RawZipEntry['dataDescriptor']]>([
    ['with its signature', { signature: true }],
    ['without its signature', { signature: false }],
    ['with 64-bit sizes', { zip64: true }],
  ])('accepts a data descriptor %s, counted in the entry range', async (_name, dd) => {
    const { dir: d, findings } = await inspect(
      zip([
        { name: 'a.txt', data: 'hello', method: 8, dataDescriptor: dd },
        { name: 'b.txt', data: 'x' },
      ]),
    );
    expect(findings).toEqual([]);
    const [a, b] = d?.entries ?? [];
    expect(a?.end).toBe(b?.localHeaderOffset);
  });
});

describe('checks/data-ranges', () => {
  it('reports bytes before the first local header', async () => {
    const { findings } = await inspect(zip(two, { prefix: Buffer.from('#!/bin/sh\nexit 0\n') }));
    expect(codesOf(findings)).toEqual(['ZIP_LEADING_DATA']);
    expect(findings[0]?.message).toMatch(/17 bytes of leading data/);
  });

  it('reports overlapping entries, each naming the other', async () => {
    const { findings } = await inspect(
      zip([...two, { name: 'c.txt', data: 'hello', centralOnly: true, localHeaderOffset: 0 }]),
    );
    const overlaps = findings.filter((f) => f.code === 'OVERLAPPING_ENTRIES');
    expect(overlaps.map((f) => f.entry).sort()).toEqual(['a.txt', 'c.txt']);
    expect(overlaps.find((f) => f.entry === 'c.txt')?.message).toContain('"a.txt"');
  });

  it.each<[string, RawZipEntry[]]>([
    [
      'between two entries',
      [
        { name: 'a.txt', data: 'hello', after: Buffer.from('hidden') },
        { name: 'b.txt', data: 'x' },
      ],
    ],
    [
      'before the central directory',
      [
        { name: 'a.txt', data: 'hello' },
        { name: 'b.txt', data: 'x', after: Buffer.from('hidden') },
      ],
    ],
  ])('reports bytes no entry accounts for %s', async (_name, entries) => {
    const { findings } = await inspect(zip(entries));
    expect(codesOf(findings)).toEqual(['ZIP_END_RECORD_MISMATCH']);
    expect(findings[0]?.message).toMatch(
      /6 bytes at offset \d+ \(after entry "[ab]\.txt"\).*belong to no entry/,
    );
  });

  it('reports a local header past the central directory', async () => {
    const { findings } = await inspect(
      zip([...two, { name: 'c.txt', data: 'x', centralOnly: true, localHeaderOffset: 100_000 }]),
    );
    expect(findings).toContainEqual(expect.objectContaining({ code: 'ENTRY_OUT_OF_BOUNDS', entry: 'c.txt' }));
  });
});

describe('checks/entry-kinds', () => {
  it('reports a directory holding data, accepts an empty one (stored or deflated)', async () => {
    const { findings } = await inspect(
      zip([{ name: 'd/', data: 'data' }, { name: 'e/' }, { name: 'f/', method: 8 }]),
    );
    expect(findings).toEqual([
      { code: 'DIRECTORY_WITH_DATA', entry: 'd/', message: expect.stringContaining('is a directory') },
    ]);
  });

  it('reports a stored entry whose two sizes differ', async () => {
    const { findings } = await inspect(
      zip([{ name: 'a.txt', data: 'hello', compressedSize: 4, localCompressedSize: 4 }]),
    );
    expect(codesOf(findings)).toContain('ENTRY_SIZE_MISMATCH');
  });

  it('reports names equal after NFKC as duplicates', async () => {
    const { findings } = await inspect(
      zip([
        { name: 'ﬁle.txt', data: '1' },
        { name: 'file.txt', data: '2' },
      ]),
    );
    expect(findings).toEqual([
      { code: 'DUPLICATE_ENTRY', entry: 'file.txt', message: expect.stringContaining('"ﬁle.txt"') },
    ]);
  });
});
