/**
 * Differential test: for every bundle of the corpus (hostile and valid), either our reader rejects it,
 * or what it accepted (the manifest, each function zip and static asset: names, sizes, content
 * digests, each function's unzipped size) is exactly what Python's zipfile reads, as a subprocess, with
 * every entry passing testzip(), and what a streaming reader sees walking the local headers (names and
 * sizes). Entries we ignore with a warning, and directories, are left out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateBundle, type ValidationResult } from '../../../../src/bundle';
import { TEST_NOW } from '../helpers';
import { HOSTILE_CASES } from './corpus';
import { VALID_CASES } from './corpus-valid';
import { pythonListings, type PyEntry, type PyListing, type StreamedListing } from './python-zip';

interface Row {
  name: string;
  valid: boolean;
  result: ValidationResult;
  listing: PyListing;
}

type Seen = Record<string, { size: number; sha256: string | undefined }>;

/** What Python read of the entries our reader should have accepted. */
function pythonView(listing: PyListing, ignored: Set<string>): { files: Seen; names: string[] } {
  const files: Seen = {};
  const names: string[] = [];
  for (const e of listing.entries ?? []) {
    if (e.dir || ignored.has(e.name)) continue;
    names.push(e.name);
    files[e.name] = { size: e.size, sha256: e.sha256 };
  }
  return { files, names };
}

/** What the local-header walk saw (files only, ignored entries left out); undefined when no streaming
 * reader could read the zip (a stored entry with a data descriptor): no opinion then. */
function streamedView(
  stream: StreamedListing | undefined,
  ignored: Set<string>,
): Record<string, number> | undefined {
  if (stream === undefined || stream.error?.startsWith('unstreamable')) return undefined;
  const seen: Record<string, number> = {};
  for (const e of stream.entries) {
    const name = Buffer.from(e.nameHex, 'hex').toString('utf8');
    if (e.dir || ignored.has(name)) continue;
    seen[name in seen ? `${name} (seen again)` : name] = e.size;
  }
  if (stream.error) seen[`(walk stopped: ${stream.error})`] = -1;
  return seen;
}

function innerHealth(e: PyEntry | undefined): { error?: string; testzip?: string | null; unzipped: number } {
  const inner = e?.inner;
  const entries = inner?.entries ?? [];
  return {
    error: inner?.error,
    testzip: inner?.testzip,
    unzipped: entries.filter((x) => !x.dir).reduce((n, x) => n + x.size, 0),
  };
}

describe('differential: our reader against Python zipfile', () => {
  let dir: string;
  const rows: Row[] = [];
  const cases = [
    ...HOSTILE_CASES.map((c) => ({ name: c.name, build: c.build, limits: c.limits, valid: false })),
    ...VALID_CASES.map((c) => ({ name: c.name, build: c.build, limits: undefined, valid: true })),
  ];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'apps-deployer-differential-'));
    const files: string[] = [];
    const results: ValidationResult[] = [];
    for (const [i, c] of cases.entries()) {
      const file = path.join(dir, `bundle-${i}.zip`);
      await writeFile(file, await c.build());
      results.push(await validateBundle(file, { now: TEST_NOW, limits: c.limits, tmpDir: dir }));
      files.push(file);
    }
    const listings = await pythonListings(files);
    cases.forEach((c, i) =>
      rows.push({ name: c.name, valid: c.valid, result: results[i]!, listing: listings[i]! }),
    );
  }, 300_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('covers every bundle of the corpus', () => {
    expect(rows).toHaveLength(HOSTILE_CASES.length + VALID_CASES.length);
  });

  it('Python reads every valid bundle of the corpus, and its function zips, without error', () => {
    const problems = rows
      .filter((r) => r.valid)
      .flatMap((r) => {
        const fns = (r.listing.entries ?? []).filter((e) => e.inner);
        const bad = [
          r.listing.error,
          r.listing.testzip,
          ...fns.flatMap((f) => [f.inner?.error, f.inner?.testzip]),
        ];
        return bad.filter((b) => b !== undefined && b !== null).map((b) => `${r.name}: ${b}`);
      });
    expect(problems).toEqual([]);
  });

  it.each(cases.map((c, i) => [c.name, i] as const))('%s: rejected, or read the same way', (_name, i) => {
    const row = rows[i]!;
    const { result, listing } = row;
    if (!result.ok) {
      expect(result.errors.length).toBeGreaterThan(0);
      return;
    }
    // accepted: Python must read the same entries, sizes and bytes
    expect({ error: listing.error, testzip: listing.testzip }).toEqual({ error: undefined, testzip: null });
    const ignored = new Set(result.warnings.filter((w) => w.code === 'IGNORED_ENTRY').map((w) => w.path));
    const py = pythonView(listing, ignored);
    expect(py.names).toHaveLength(new Set(py.names).size);
    const { bundle } = result;
    const ours: Seen = {
      'manifest.json': {
        size: py.files['manifest.json']?.size ?? -1,
        sha256: py.files['manifest.json']?.sha256,
      },
    };
    for (const f of bundle.functions) ours[f.entry] = { size: f.size, sha256: f.sha256Hex };
    for (const a of bundle.assets) ours[a.entry] = { size: a.size, sha256: a.sha256Hex };
    expect(ours).toEqual(py.files);
    // a streaming reader, walking the local headers, sees the same files and sizes
    const walked = streamedView(listing.stream, ignored);
    if (walked) {
      const sizes = Object.fromEntries(Object.entries(ours).map(([n, v]) => [n, v.size]));
      expect({ streamed: walked }).toEqual({ streamed: sizes });
    }
    const manifestText = listing.entries?.find((e) => e.name === 'manifest.json')?.text ?? 'null';
    expect(bundle.manifest).toEqual(JSON.parse(manifestText.replace(/^\uFEFF/, '')));
    for (const f of bundle.functions) {
      const fnEntry = listing.entries?.find((e) => e.name === f.entry);
      const health = innerHealth(fnEntry);
      expect({ entry: f.entry, ...health }).toEqual({
        entry: f.entry,
        error: undefined,
        testzip: null,
        unzipped: f.unzippedSize,
      });
      const innerWalk = streamedView(fnEntry?.inner?.stream, new Set());
      if (innerWalk) {
        const total = Object.values(innerWalk).reduce((n, v) => n + v, 0);
        expect({ entry: f.entry, streamedUnzipped: total }).toEqual({
          entry: f.entry,
          streamedUnzipped: f.unzippedSize,
        });
      }
    }
  });
});
