/** checks/names: UTF-8, control characters, NFKC and the slash / backslash look-alikes. */
import { SLASH_LOOKALIKES, decodeName, unsafePath } from '../../../../src/bundle/checks/names';
import type { ZipEntry, ZipIssueCode } from '../../../../src/bundle/zip/format';

function entry(): ZipEntry {
  return {
    index: 0,
    centralOffset: 0,
    name: '',
    label: '',
    isDirectory: false,
    method: 0,
    flags: 0,
    crc32: 0,
    compressedSize: 0,
    uncompressedSize: 0,
    localHeaderOffset: 0,
    unixFileType: 0,
    dataOffset: -1,
    end: -1,
    bad: false,
  };
}

function decode(bytes: Buffer, flags: number, requireUtf8Flag: boolean) {
  const found: { code: ZipIssueCode; message: string }[] = [];
  const e = entry();
  const name = decodeName(
    bytes,
    flags,
    e,
    { requireUtf8Flag, maxNameBytes: 64 },
    {
      report: (code, _entry, message) => found.push({ code, message }),
    },
  );
  return { name, found, label: e.label, bad: e.bad };
}

describe('decodeName', () => {
  it('decodes ASCII and flagged UTF-8', () => {
    expect(decode(Buffer.from('a/b.txt'), 0, true).name).toBe('a/b.txt');
    expect(decode(Buffer.from('café.txt'), 0x800, true).name).toBe('café.txt');
  });

  it('refuses invalid UTF-8, showing the bytes escaped', () => {
    const r = decode(Buffer.from([0x61, 0xff, 0x0a]), 0x800, true);
    expect(r).toMatchObject({ name: undefined, label: 'a\\xff\\x0a', bad: true });
    expect(r.found[0]).toMatchObject({
      code: 'BAD_ENTRY_NAME',
      message: expect.stringContaining('UTF-8') as unknown,
    });
  });

  it('refuses non-ASCII without the UTF-8 flag in the bundle, accepts it in a function zip', () => {
    expect(decode(Buffer.from('café.txt'), 0, true).found[0]?.message).toMatch(/CP437/);
    expect(decode(Buffer.from('café.txt'), 0, false)).toMatchObject({ name: 'café.txt', found: [] });
  });

  it('refuses names longer than the cap, and empty names', () => {
    expect(decode(Buffer.alloc(65, 0x61), 0, true).found[0]?.message).toMatch(/65 bytes long/);
    expect(decode(Buffer.alloc(0), 0, true).found[0]?.message).toMatch(/empty/);
  });
});

describe('unsafePath', () => {
  it.each([['a/b/c.txt'], ['static/日本語/ファイル.png'], ['dir/'], ['..hidden/x'], ['a..b']])(
    'accepts %s',
    (name) => {
      expect(unsafePath(name)).toBeUndefined();
    },
  );

  it.each([
    ['../x', /"\.\." path segment/],
    ['a/\u2025/b', /"\.\." path segment \(after NFKC/], // TWO DOT LEADER
    ['a/\uff0e\uff0e/b', /"\.\." path segment \(after NFKC/], // FULLWIDTH FULL STOP x2
    ['/etc/passwd', /absolute/],
    ['C:/x', /drive letter/],
    ['a\\b', /backslash/],
    ['a\ufe68b', /U\+FE68/],
    ['a//b', /empty or "\."/],
    ['./a', /empty or "\."/],
  ])('refuses %s', (name, words) => {
    expect(unsafePath(name)).toMatch(words);
  });

  it('refuses every listed look-alike of "/" and "\\"', () => {
    for (const c of SLASH_LOOKALIKES)
      expect([c, unsafePath(`a${c}b`)]).toEqual([c, expect.stringMatching(/look-alike/)]);
  });
});
