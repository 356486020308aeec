/**
 * Hostile bundles, part 3: entry names and entry types. Names must be valid UTF-8 without control
 * characters (C0, C1, DEL) and, after NFKC, without a ".." segment, an absolute path, a drive letter or
 * a slash/backslash look-alike; a name ending in "/" holds no data; no symlinks, no encryption, only
 * stored and deflate, no duplicates. DESIGN.md "One reading of every byte".
 */
import { bundleWith, type HostileCase } from './kit';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

/** A bundle with one extra static entry of that name. */
const named =
  (name: string | Buffer, data = 'x') =>
  () =>
    bundleWith([{ name, data }]);

function badName(title: string, name: string | Buffer): HostileCase {
  return { name: title, build: named(name), code: 'BAD_ENTRY_NAME', names: [name] };
}

function unsafe(title: string, name: string): HostileCase {
  return { name: title, build: named(name), code: 'UNSAFE_ENTRY_PATH', names: [name] };
}

export const NAME_CASES: HostileCase[] = [
  badName('a C0 control character in a name', 'static/a\x01b.txt'),
  badName('a NUL in a name (C readers stop there: "evil.txt")', 'static/evil.txt\x00.png'),
  badName('terminal escape sequences in a name', 'static/\x1b[2J\x1b[31mred.txt'),
  badName('a DEL in a name', 'static/a\x7f.txt'),
  badName('a C1 control character (NEL) in a name', 'static/a\u0085b.txt'),
  badName('a C1 CSI in a name', 'static/\u009b31mred.txt'),
  badName('a newline in a name (log injection)', 'static/a.txt\nlevel=error msg=forged'),
  badName('a name that is not UTF-8', bytes('static/', [0xff, 0xfe], '.txt')),
  badName(
    'an overlong UTF-8 encoding of ".." in a name',
    bytes('static/', [0xc0, 0xae, 0xc0, 0xae], '/x.txt'),
  ),
  badName('a UTF-8-encoded surrogate in a name', bytes('static/', [0xed, 0xa0, 0x80], '.txt')),
  badName('a truncated UTF-8 sequence in a name', bytes('static/a', [0xe6, 0x97])),
  unsafe('zip-slip ".." at the start', '../evil.sh'),
  unsafe('zip-slip ".." inside static/', 'static/../../evil.sh'),
  unsafe('zip-slip with backslashes', 'static/..\\..\\evil.sh'),
  unsafe('fullwidth dots (NFKC "..")', 'static/．．/．．/evil.sh'),
  unsafe('a two-dot leader (NFKC "..")', 'static/‥/evil.sh'),
  unsafe('one-dot leaders (NFKC "..")', 'static/\u2024\u2024/evil.sh'),
  unsafe('a division slash look-alike', 'static/..\u2215evil.sh'),
  unsafe('a fraction slash look-alike', 'static/a\u2044b.txt'),
  unsafe('a fullwidth solidus (NFKC "/")', 'static/..／evil.sh'),
  unsafe('a fullwidth reverse solidus (NFKC "\\")', 'static/..＼evil.sh'),
  unsafe('an absolute path', '/etc/cron.d/evil'),
  unsafe('an absolute path in fullwidth (NFKC "/")', '／etc/cron.d/evil'),
  unsafe('a path starting with a backslash', '\\evil.txt'),
  unsafe('a UNC path', '//server/share/evil.txt'),
  unsafe('a drive letter with backslashes', 'C:\\Windows\\evil.dll'),
  unsafe('a drive letter with slashes', 'c:/evil.txt'),
  {
    name: 'a directory entry holding data',
    build: named('static/dir/', 'hidden data'),
    code: 'DIRECTORY_WITH_DATA',
    names: ['static/dir/'],
  },
  {
    name: 'a symlink',
    build: () => bundleWith([{ name: 'static/passwd', data: '/etc/passwd', mode: 0o120777 }]),
    code: 'SYMLINK_ENTRY',
    names: ['static/passwd'],
  },
  {
    name: 'an encrypted entry',
    build: () => bundleWith([{ name: 'static/secret.txt', data: 'xxxxxxxxxxxx', flags: 0x801 }]),
    code: 'ENCRYPTED_ENTRY',
    names: ['static/secret.txt'],
  },
  {
    name: 'an LZMA entry',
    build: () => bundleWith([{ name: 'static/b.lzma', data: 'x', method: 14 }]),
    code: 'UNSUPPORTED_COMPRESSION',
    names: ['static/b.lzma'],
  },
  {
    name: 'a zstd entry',
    build: () => bundleWith([{ name: 'static/b.zst', data: 'x', method: 93 }]),
    code: 'UNSUPPORTED_COMPRESSION',
    names: ['static/b.zst'],
  },
  {
    name: 'a second manifest.json (readers keep the first or the last)',
    build: () =>
      bundleWith([{ name: 'manifest.json', data: JSON.stringify({ app_id: 'com.evil.app' }), method: 8 }]),
    code: 'DUPLICATE_ENTRY',
    names: ['manifest.json'],
  },
  {
    name: 'the same name in NFC and NFD (one file on macOS)',
    build: () =>
      bundleWith([
        { name: 'static/caf\u00e9.png', data: 'nfc' },
        { name: 'static/cafe\u0301.png', data: 'nfd' },
      ]),
    code: 'DUPLICATE_ENTRY',
    names: ['static/caf\u00e9.png', 'static/cafe\u0301.png'],
    anyName: true,
  },
  {
    name: 'the same name in fullwidth letters (alike after NFKC)',
    build: () => bundleWith([{ name: 'static/\uff41.txt', data: 'fullwidth a' }]),
    code: 'DUPLICATE_ENTRY',
    names: ['static/\uff41.txt', 'static/a.txt'],
    anyName: true,
  },
  {
    name: 'a second fn.zip',
    build: () => bundleWith([{ name: 'fn.zip', data: 'PK\x05\x06' + '\0'.repeat(18) }]),
    code: 'DUPLICATE_ENTRY',
    names: ['fn.zip'],
  },
];
