/**
 * Tricky but valid bundles that a too-strict reader would refuse: data descriptors (with and without
 * their signature, zip64 ones), zip64 written by real tools (`zip -fz`, Python's force_zip64),
 * directory entries, a 49 MiB function zip, non-ASCII names, macOS junk (ignored with warnings), a zip
 * comment, node_modules depth, a Windows-made zip, plain `zip -r` and Python bundles.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { functionZip } from '../../../support/bundle-builder';
import { rawZip, type RawZipEntry } from '../../../support/raw-zip';
import { appManifest, baseEntries, HANDLER, innerZip, type ValidCase } from './kit';
import { pythonZip, type PyZipSpec } from './python-zip';

const MANIFEST = JSON.stringify(appManifest(), null, 2);
const HANDLER_JS = HANDLER.data as string;

async function withTemp<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'apps-deployer-valid-zip-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A zip made by Python's zipfile. */
const python = (spec: PyZipSpec): Promise<Buffer> =>
  withTemp(async (dir) => {
    const file = path.join(dir, 'out.zip');
    await pythonZip(file, spec);
    return readFile(file);
  });

/** A zip made by Info-ZIP `zip -r` (with `args`) of `files` (path → content), directories included. */
const infoZip = (files: Record<string, Buffer | string>, args: string[] = []): Promise<Buffer> =>
  withTemp(async (dir) => {
    const src = path.join(dir, 'src');
    for (const [name, data] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(src, name)), { recursive: true });
      await writeFile(path.join(src, name), data);
    }
    const tops = [...new Set(Object.keys(files).map((n) => n.split('/')[0]!))].sort();
    const r = spawnSync('zip', ['-q', '-X', '-r', ...args, path.join(dir, 'out.zip'), ...tops], { cwd: src });
    if (r.error || r.status !== 0) {
      throw new Error(`\`zip\` (Info-ZIP) failed or is missing: ${String(r.error ?? r.stderr)}`);
    }
    return readFile(path.join(dir, 'out.zip'));
  });

const plainFunction = (): Promise<Buffer> => functionZip({ 'index.js': HANDLER_JS });

/** A function zip shaped like a node_modules-heavy build: deep paths, long names. */
function deepFunction(): Buffer {
  const entries: RawZipEntry[] = [HANDLER];
  for (let p = 0; p < 60; p++) {
    let dir = 'node_modules';
    for (let d = 0; d < 12; d++) dir += `/@scope-${p}/package-with-a-rather-long-name-${d}/node_modules`;
    for (let f = 0; f < 20; f++)
      entries.push({ name: `${dir}/lib/file-${f}.js`, data: `module.exports = ${f};\n`, method: 8 });
  }
  return rawZip(entries);
}

const bundleOf = async (fnZip: Buffer, extra: RawZipEntry[] = []): Promise<Buffer> =>
  rawZip([{ name: 'manifest.json', data: MANIFEST, method: 8 }, { name: 'fn.zip', data: fnZip }, ...extra]);

export const VALID_CASES: ValidCase[] = [
  {
    name: 'data descriptors with their signature (Python writing to an unseekable stream)',
    build: async () =>
      python({
        stream: true,
        entries: [
          { name: 'manifest.json', data: MANIFEST },
          {
            name: 'fn.zip',
            data: await python({ stream: true, entries: [{ name: 'index.js', data: HANDLER_JS }] }),
            store: true,
          },
          { name: 'static/a.txt', data: 'hello' },
        ],
      }),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
  {
    name: 'data descriptors without their signature',
    build: async () =>
      rawZip((await baseEntries()).map((e) => ({ ...e, dataDescriptor: { signature: false } }))),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
  {
    name: 'zip64 data descriptors (Python, force_zip64, unseekable stream) in the function zip',
    build: async () =>
      bundleOf(
        await python({ stream: true, forceZip64: true, entries: [{ name: 'index.js', data: HANDLER_JS }] }),
        [{ name: 'static/a.txt', data: 'hello' }],
      ),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
  {
    name: 'zip64 written by `zip -r -fz` (bundle and function zip)',
    build: async () =>
      infoZip(
        {
          'manifest.json': MANIFEST,
          'fn.zip': await infoZip({ 'index.js': HANDLER_JS, 'lib/util.js': 'module.exports = 1;\n' }, [
            '-fz',
          ]),
          'static/a.txt': 'hello',
          'static/img/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
        },
        ['-fz'],
      ),
    functions: ['fn.zip'],
    assets: ['static/a.txt', 'static/img/logo.svg'],
  },
  {
    name: "zip64 written by Python's zipfile (force_zip64)",
    build: async () =>
      python({
        forceZip64: true,
        entries: [
          { name: 'manifest.json', data: MANIFEST },
          {
            name: 'fn.zip',
            data: await python({ forceZip64: true, entries: [{ name: 'index.js', data: HANDLER_JS }] }),
          },
          { name: 'static/a.txt', data: 'hello' },
        ],
      }),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
  {
    name: 'directory entries (static/, static/img/, and in the function zip)',
    build: async () =>
      bundleOf(innerZip([{ name: 'lib/' }, { name: 'lib/a.js', data: 'a' }]), [
        { name: 'static/' },
        { name: 'static/img/' },
        { name: 'static/img/logo.png', data: Buffer.from('89504e470d0a1a0a', 'hex') },
      ]),
    functions: ['fn.zip'],
    assets: ['static/img/logo.png'],
  },
  {
    name: 'a directory deflated to 2 bytes with a data descriptor (as Java ZipOutputStream writes it)',
    build: async () =>
      bundleOf(innerZip([{ name: 'lib/', method: 8, dataDescriptor: true }]), [
        { name: 'static/', method: 8, dataDescriptor: true },
        { name: 'static/a.txt', data: 'hello', method: 8, dataDescriptor: true },
      ]),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
  {
    name: 'flag bit 3 with the values in the local header too, and a Unix host with no mode bits',
    build: async () => {
      const data = Buffer.from('streamed, and the values known up front');
      const csize = zlib.deflateRawSync(data).length;
      const known = {
        localCrc32: zlib.crc32(data),
        localCompressedSize: csize,
        localUncompressedSize: data.length,
      };
      return bundleOf(await plainFunction(), [
        { name: 'static/v.txt', data, method: 8, dataDescriptor: true, ...known },
        { name: 'static/m0.txt', data: 'no mode', externalAttributes: 0 },
      ]);
    },
    functions: ['fn.zip'],
    assets: ['static/v.txt', 'static/m0.txt'],
  },
  {
    name: 'a 49 MiB function zip (stored random bytes)',
    build: async () =>
      bundleOf(innerZip([{ name: 'bin/blob', data: crypto.randomBytes(49 * 1024 * 1024 - 4096) }])),
    functions: ['fn.zip'],
    assets: [],
  },
  {
    name: 'non-ASCII but safe names (accents, CJK, emoji, NFD)',
    build: async () =>
      bundleOf(await plainFunction(), [
        { name: 'static/café.png', data: 'c' },
        { name: 'static/日本語/ファイル.txt', data: 'j' },
        { name: 'static/😀 smile.svg', data: 's' },
        { name: 'static/cafe\u0301-nfd.txt', data: 'd' },
        { name: 'static/naïve…dots.txt', data: 'e' },
      ]),
    functions: ['fn.zip'],
    assets: [
      'static/café.png',
      'static/日本語/ファイル.txt',
      'static/😀 smile.svg',
      'static/cafe\u0301-nfd.txt',
      'static/naïve…dots.txt',
    ],
  },
  {
    name: 'macOS junk (__MACOSX/, .DS_Store) ignored with warnings',
    build: async () =>
      bundleOf(await plainFunction(), [
        { name: 'static/a.txt', data: 'hello' },
        { name: '.DS_Store', data: Buffer.alloc(64, 1) },
        { name: '__MACOSX/' },
        { name: '__MACOSX/._manifest.json', data: Buffer.alloc(32, 2) },
        { name: '__MACOSX/static/._a.txt', data: Buffer.alloc(32, 3) },
      ]),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
    warnings: [
      { code: 'IGNORED_ENTRY', path: '.DS_Store' },
      { code: 'IGNORED_ENTRY', path: '__MACOSX/._manifest.json' },
      { code: 'IGNORED_ENTRY', path: '__MACOSX/static/._a.txt' },
    ],
  },
  {
    name: 'a zip comment',
    build: async () => rawZip(await baseEntries(), { comment: 'built by CI pipeline #1234 — ok' }),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
  {
    name: 'a function zip with node_modules depth (1,200 files, paths over 600 bytes)',
    build: async () => bundleOf(deepFunction()),
    functions: ['fn.zip'],
    assets: [],
  },
  {
    name: 'a Windows-made zip (host 0, DOS attributes, no Unix mode, no UTF-8 flag)',
    build: async () => {
      const dos = (e: RawZipEntry): RawZipEntry => ({
        ...e,
        versionMadeBy: 20,
        flags: 0,
        externalAttributes: String(e.name).endsWith('/') ? 0x10 : 0x20,
      });
      const fn = rawZip([HANDLER, { name: 'lib/' }, { name: 'lib/a.js', data: 'a' }].map(dos));
      return rawZip(
        [
          { name: 'manifest.json', data: MANIFEST, method: 8 },
          { name: 'fn.zip', data: fn },
          { name: 'static/' },
          { name: 'static/a.txt', data: 'hello', method: 8 },
        ].map(dos),
      );
    },
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
  {
    name: 'a bundle made by `zip -r`',
    build: async () =>
      infoZip({
        'manifest.json': MANIFEST,
        'fn.zip': await infoZip({ 'index.js': HANDLER_JS }),
        'static/a.txt': 'hello',
        'static/css/app.css': 'body { color: red }\n'.repeat(50),
      }),
    functions: ['fn.zip'],
    assets: ['static/a.txt', 'static/css/app.css'],
  },
  {
    name: "a bundle made by Python's zipfile",
    build: async () =>
      python({
        entries: [
          { name: 'manifest.json', data: MANIFEST },
          {
            name: 'fn.zip',
            data: await python({ entries: [{ name: 'index.js', data: HANDLER_JS }] }),
            store: true,
          },
          { name: 'static/', data: '' },
          { name: 'static/a.txt', data: 'hello' },
        ],
      }),
    functions: ['fn.zip'],
    assets: ['static/a.txt'],
  },
];
