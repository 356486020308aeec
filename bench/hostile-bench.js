#!/usr/bin/env node
/**
 * Bench of `validateBundle` (the built dist/) over the largest hostile shapes within the caps, four
 * validations at once in one process (node with the CLI's heap flags), as reconcile runs them (DESIGN.md "One reading of every byte":
 * peak RSS <= 300 MB at the default concurrency for any input within the caps). Shapes:
 *   fn-50k-long-names  a function zip of 50,000 entries with ~200-byte names
 *   bundle-10k-entries a bundle of 10,000 entries (5,000 static files, 4,998 directories)
 *   64-functions       64 function zips (500 entries each)
 *   fn-50MiB-250MB     a function zip just under 50 MiB inflating to just under 250 MB
 * Rounds, each in a fresh child process: the four shapes at once, then each shape four times at once.
 * Prints wall time and peak RSS per round (the child's own maxRSS, and /usr/bin/time's when present),
 * the 300 MB bound and PASS/FAIL; exit code 0 only when every round stays within the bound and every
 * validation completes and accepts its bundle (every shape is within the caps). Inputs are generated once under bench/.data/hostile/ (git-ignored) as raw
 * stored zips (the 250 MB shape reuses one deflated chunk), and reused while their parameters match.
 *
 * Usage: npm run bench:hostile   (builds, then: node bench/hostile-bench.js [--dist DIR] [--regenerate])
 */
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { MB, root, mb, peakKbOf, distDirArg, shippedNodeFlags } = require('./lib');

const BOUND_MB = 300;
const CONCURRENCY = 4;
const PARAMS = JSON.stringify({ v: 3, longNames: 50_000, entries: 10_000, functions: 64, big: 249 });
const dataDir = path.join(__dirname, '.data', 'hostile');
const paramsFile = path.join(dataDir, 'params.json');
const self = path.join(__dirname, 'hostile-bench.js');

const distDir = distDirArg();

// ---------------------------------------------------------------- a minimal streaming zip writer

/** Writes a zip to `file` from `entries` (an iterable of { name, data, method?, crc?, size?, dir? }, where
 * `data` is the stored or already-deflated bytes; crc and size describe the uncompressed content). */
function writeZip(file, entries) {
  const fd = fs.openSync(file, 'w');
  const central = [];
  let offset = 0;
  let count = 0;
  try {
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8');
      const method = e.method ?? 0;
      const crc = e.crc ?? zlib.crc32(e.data);
      const size = e.size ?? e.data.length;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x800, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt16LE(0x21, 12);
      local.writeUInt32LE(crc >>> 0, 14);
      local.writeUInt32LE(e.data.length, 18);
      local.writeUInt32LE(size, 22);
      local.writeUInt16LE(name.length, 26);
      fs.writeSync(fd, local);
      fs.writeSync(fd, name);
      fs.writeSync(fd, e.data);
      const rec = Buffer.alloc(46);
      rec.writeUInt32LE(0x02014b50, 0);
      rec.writeUInt16LE((3 << 8) | 20, 4);
      rec.writeUInt16LE(20, 6);
      rec.writeUInt16LE(0x800, 8);
      rec.writeUInt16LE(method, 10);
      rec.writeUInt16LE(0x21, 14);
      rec.writeUInt32LE(crc >>> 0, 16);
      rec.writeUInt32LE(e.data.length, 20);
      rec.writeUInt32LE(size, 24);
      rec.writeUInt16LE(name.length, 28);
      rec.writeUInt32LE(e.dir ? ((0o040755 << 16) | 0x10) >>> 0 : (0o100644 << 16) >>> 0, 38);
      rec.writeUInt32LE(offset, 42);
      central.push(rec, name);
      offset += 30 + name.length + e.data.length;
      count++;
    }
    const cd = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(count, 8);
    end.writeUInt16LE(count, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    fs.writeSync(fd, cd);
    fs.writeSync(fd, end);
  } finally {
    fs.closeSync(fd);
  }
}

const HANDLER = Buffer.from('exports.handler = async () => ({ statusCode: 200 });\n');

function manifest(functionNames) {
  return Buffer.from(
    JSON.stringify({
      app_id: 'com.example.hostile',
      version: '1.0.0',
      display_name: 'Hostile shapes',
      homepage_url: 'https://example.com/hostile',
      aws_lambda: functionNames.map((name, i) => ({
        path: `/f${i}`,
        name,
        handler: 'index.handler',
        runtime: 'nodejs24.x',
      })),
    }),
  );
}

/** A bundle of manifest.json, the given function zips (files, stored) and `extra` entries. */
function writeBundle(file, functions, extra = []) {
  writeZip(
    file,
    (function* entries() {
      yield { name: 'manifest.json', data: manifest(functions.map((f) => f.name)) };
      for (const f of functions) yield { name: `${f.name}.zip`, data: fs.readFileSync(f.file) };
      yield* extra;
    })(),
  );
}

// ---------------------------------------------------------------- the shapes

function longNamesShape(file) {
  const fn = path.join(dataDir, 'long-names.fn.zip');
  writeZip(
    fn,
    (function* entries() {
      yield { name: 'index.js', data: HANDLER };
      for (let i = 0; i < 49_999; i++) {
        const name = `node_modules/${'a-package-with-a-long-name-'.repeat(6)}${i}/${'nested-dir/'.repeat(3)}file-${i}.js`;
        yield { name, data: Buffer.from(`module.exports=${i};\n`) };
      }
    })(),
  );
  writeBundle(file, [{ name: 'api', file: fn }]);
  fs.rmSync(fn);
}

function manyEntriesShape(file) {
  // 10,000 entries (the cap) with 5,000 static files (their cap): manifest.json, api.zip, two assets
  // at the top of static/, and 4,998 directories each holding one asset
  const fn = path.join(dataDir, 'many-entries.fn.zip');
  writeZip(fn, [{ name: 'index.js', data: HANDLER }]);
  const extra = (function* entries() {
    yield { name: 'static/top.png', data: Buffer.from('png top') };
    yield { name: 'static/top.css', data: Buffer.from('body {}') };
    for (let i = 0; i < 4_998; i++) {
      const folder = `static/assets/${'deep/'.repeat(8)}folder-${i}/`;
      yield { name: folder, data: Buffer.alloc(0), dir: true };
      yield { name: `${folder}img-${i}.png`, data: Buffer.from(`png ${i}`) };
    }
  })();
  writeBundle(file, [{ name: 'api', file: fn }], extra);
  fs.rmSync(fn);
}

function manyFunctionsShape(file) {
  const functions = [];
  for (let f = 0; f < 64; f++) {
    const fn = path.join(dataDir, `fn${f}.zip`);
    writeZip(
      fn,
      (function* entries() {
        yield { name: 'index.js', data: HANDLER };
        for (let i = 0; i < 499; i++) yield { name: `lib/part-${i}.bin`, data: crypto.randomBytes(2048) };
      })(),
    );
    functions.push({ name: `fn${f}`, file: fn });
  }
  writeBundle(file, functions);
  for (const f of functions) fs.rmSync(f.file);
}

function bigInflateShape(file) {
  // 249 entries of 1 MiB (261,095,424 bytes < 262,144,000), each the same deflated chunk: 205,000
  // random bytes then zeros, so the function zip stays under 52,428,800 bytes
  const chunk = Buffer.alloc(MB);
  crypto.randomFillSync(chunk, 0, 205_000);
  const deflated = zlib.deflateRawSync(chunk, { level: 1 });
  const crc = zlib.crc32(chunk);
  const fn = path.join(dataDir, 'big.fn.zip');
  writeZip(
    fn,
    (function* entries() {
      yield { name: 'index.js', data: HANDLER };
      for (let i = 0; i < 249; i++)
        yield { name: `data/chunk-${i}.bin`, data: deflated, method: 8, crc, size: MB };
    })(),
  );
  writeBundle(file, [{ name: 'api', file: fn }]);
  fs.rmSync(fn);
}

const SHAPES = [
  { id: 'fn-50k-long-names', make: longNamesShape },
  { id: 'bundle-10k-entries', make: manyEntriesShape },
  { id: '64-functions', make: manyFunctionsShape },
  { id: 'fn-50MiB-250MB', make: bigInflateShape },
];
const fileOf = (shape) => path.join(dataDir, `${shape.id}.zip`);

function generate() {
  const fresh =
    process.argv.includes('--regenerate') ||
    !fs.existsSync(paramsFile) ||
    fs.readFileSync(paramsFile, 'utf8') !== PARAMS ||
    SHAPES.some((s) => !fs.existsSync(fileOf(s)));
  if (!fresh) return;
  fs.mkdirSync(dataDir, { recursive: true });
  for (const s of SHAPES) {
    process.stdout.write(`generating ${path.relative(root, fileOf(s))} ...\n`);
    s.make(fileOf(s));
  }
  fs.writeFileSync(paramsFile, PARAMS);
}

// ---------------------------------------------------------------- measuring

/** Child mode: validate the files at once (Promise.all), print one JSON line. */
async function child(files) {
  const { validateBundle } = require(path.join(distDir, 'bundle'));
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(
    files.map(async (file) => {
      const s = process.hrtime.bigint();
      try {
        const r = await validateBundle(file);
        const ms = Number(process.hrtime.bigint() - s) / 1e6;
        const errors = r.ok ? [] : r.errors.slice(0, 3).map((e) => `${e.code} ${e.path}: ${e.message}`);
        return { file: path.basename(file), ok: r.ok, ms, errors };
      } catch (err) {
        return { file: path.basename(file), ok: false, threw: String(err && err.stack ? err.stack : err) };
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, results })}\n`);
}

function measure(files) {
  // node with the CLI's heap flags (main.js's first line): the reader under the heap it runs with
  const args = [...shippedNodeFlags(distDir), self, '--child', '--dist', distDir, ...files];
  const hasTime = fs.existsSync('/usr/bin/time');
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', 'TIME_MAXRSS_KB=%M', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  const line = r.stdout.trim().split('\n').pop();
  const out = line ? JSON.parse(line) : { ms: NaN, maxRssKb: NaN, results: [] };
  const timeKb = Number(/TIME_MAXRSS_KB=(\d+)/.exec(r.stderr || '')?.[1] ?? NaN);
  return { ...out, status: r.status, stderr: r.stderr, peakKb: peakKbOf({ selfKb: out.maxRssKb, timeKb }) };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args.filter((a, i) => i > 2));
  if (!fs.existsSync(path.join(distDir, 'bundle', 'index.js'))) {
    throw new Error(`${distDir} has no build: run \`npm run build\` first (npm run bench:hostile does)`);
  }
  generate();
  const rounds = [
    { label: 'the four shapes at once', files: SHAPES.map(fileOf) },
    ...SHAPES.map((s) => ({ label: `4 x ${s.id}`, files: Array(CONCURRENCY).fill(fileOf(s)) })),
  ];
  console.log('\nshapes:');
  for (const s of SHAPES)
    console.log(`  ${s.id.padEnd(20)} ${(fs.statSync(fileOf(s)).size / MB).toFixed(1)} MiB`);
  console.log(`\n${CONCURRENCY} validations at once per round, each round in a fresh node process:\n`);
  let pass = true;
  for (const round of rounds) {
    const m = measure(round.files);
    const within = m.peakKb / 1024 <= BOUND_MB;
    // every shape is within the caps: a rejection means the bench did not measure the full work
    const completed =
      m.status === 0 && m.results.length === round.files.length && m.results.every((x) => x.ok && !x.threw);
    pass = pass && within && completed;
    console.log(
      `  ${round.label.padEnd(28)} wall ${String(Math.round(m.ms)).padStart(6)} ms   peak RSS ${mb(m.peakKb).padStart(9)}   ${within && completed ? 'PASS' : 'FAIL'}`,
    );
    for (const x of m.results) {
      const verdict = x.threw
        ? `THREW ${x.threw.split('\n')[0]}`
        : x.ok
          ? 'valid'
          : `rejected: ${x.errors.join(' | ')}`;
      console.log(
        `      ${x.file.padEnd(24)} ${x.ms ? `${Math.round(x.ms)} ms`.padStart(9) : ''.padStart(9)}  ${verdict.slice(0, 300)}`,
      );
    }
    if (!completed)
      console.log(`      child exit ${m.status}; stderr tail:\n${(m.stderr || '').slice(-2000)}`);
  }
  console.log(
    `\nbound: peak RSS <= ${BOUND_MB} MB per round (DESIGN.md "One reading of every byte") → ${pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `reproduce: npm run bench:hostile   (or: npm run build && node bench/hostile-bench.js [--regenerate])\n`,
  );
  process.exitCode = pass ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 2;
});
