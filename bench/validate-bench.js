#!/usr/bin/env node
/**
 * Bench of `validateBundle` on a generated 200 MB bundle (4 function zips of 45 MB of incompressible
 * data + static files), run on the built dist/ (`npm run bench:validate` builds first).
 *
 * It validates the bundle in a child process, measuring wall time and peak RSS (the child's own
 * process.resourceUsage().maxRSS, and /usr/bin/time's when present), and runs `unzip -t` on the same
 * file in the same run, alternating, after a warm-up that puts the file in the page cache. It prints
 * the figures, the ratios and the targets: peak RSS <= 150 MB, time <= 2x `unzip -t`.
 *
 * The bundle is kept under bench/.data/ (gitignored) and reused while its parameters match.
 * Options: --runs N (default 3), --regenerate, --dist DIR (the build to bench; default dist/).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { zipTo, argValue, distDirArg, shippedNodeFlags } = require('./lib');

const MB = 1024 * 1024;
const FUNCTIONS = 4;
const FUNCTION_ZIP_MB = 45; // each function zip: 45 files of 1 MiB of random bytes, stored
const STATIC_RANDOM = { count: 16, size: 1 * MB }; // incompressible assets (images...)
const STATIC_TEXT = { count: 40, size: 64 * 1024 }; // compressible assets (js, css, json)
const TARGET_RSS_MB = 150;
const TARGET_TIME_RATIO = 2;
const PARAMS = JSON.stringify({ FUNCTIONS, FUNCTION_ZIP_MB, STATIC_RANDOM, STATIC_TEXT, v: 1 });

const root = path.resolve(__dirname, '..');
const self = path.join(__dirname, 'validate-bench.js');
const dataDir = path.join(__dirname, '.data');
const bundleFile = path.join(dataDir, 'bench-bundle.zip');
const paramsFile = path.join(dataDir, 'bench-bundle.params.json');

const distDir = distDirArg();

/** Child mode: validate once, print one JSON line. */
async function child(file) {
  const { validateBundle } = require(path.join(distDir, 'bundle'));
  const t0 = process.hrtime.bigint();
  const result = await validateBundle(file);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = {
    ok: result.ok,
    ms,
    maxRssKb: process.resourceUsage().maxRSS,
    errors: result.ok ? [] : result.errors.map((e) => `${e.code} ${e.path}: ${e.message}`),
    warnings: result.warnings.length,
    functions: result.ok ? result.bundle.functions.length : 0,
    assets: result.ok ? result.bundle.assets.length : 0,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function generate() {
  fs.mkdirSync(dataDir, { recursive: true });
  const fnFiles = [];
  for (let f = 0; f < FUNCTIONS; f++) {
    const fnFile = path.join(dataDir, `fn${f}.zip`);
    await zipTo(fnFile, (zip) => {
      zip.addBuffer(Buffer.from('exports.handler = async () => ({ statusCode: 200 });\n'), 'index.js');
      for (let i = 0; i < FUNCTION_ZIP_MB; i++) {
        zip.addBuffer(crypto.randomBytes(MB), `node_modules/blob${i}.bin`, { compress: false });
      }
    });
    fnFiles.push(fnFile);
  }
  const manifest = {
    app_id: 'com.example.bench',
    version: '1.0.0',
    display_name: 'Bench',
    homepage_url: 'https://example.com/bench',
    icon: 'icon-0.png',
    aws_lambda: fnFiles.map((_, f) => ({
      path: `/f${f}`,
      name: `function ${f}`,
      handler: 'index.handler',
      runtime: 'nodejs24.x',
    })),
  };
  const text = 'const answer = 42; // some compressible javascript\n'
    .repeat(STATIC_TEXT.size / 51 + 1)
    .slice(0, STATIC_TEXT.size);
  await zipTo(bundleFile, (zip) => {
    zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), 'manifest.json');
    // function zips are stored, as zip tools store data that does not compress
    fnFiles.forEach((fnFile, f) => zip.addFile(fnFile, `function ${f}.zip`, { compress: false }));
    for (let i = 0; i < STATIC_RANDOM.count; i++) {
      zip.addBuffer(crypto.randomBytes(STATIC_RANDOM.size), `static/icon-${i}.png`, { compress: false });
    }
    for (let i = 0; i < STATIC_TEXT.count; i++) zip.addBuffer(Buffer.from(text), `static/js/app ${i}.js`);
  });
  for (const f of fnFiles) fs.rmSync(f);
  fs.writeFileSync(paramsFile, PARAMS);
}

/** Runs a command, returning wall ms and the peak RSS /usr/bin/time reports (KB), when it can. */
function timed(cmd, args) {
  const haveTime = fs.existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = haveTime
    ? spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * MB })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * MB });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr || '');
  return {
    ms,
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    timeRssKb: m ? Number(m[1]) : undefined,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 0) => n.toFixed(d).padStart(8);

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]);
  const runs = Number(argValue('--runs', '3')) || 3;
  if (!fs.existsSync(path.join(distDir, 'bundle', 'index.js'))) {
    throw new Error(`${distDir} has no build: run \`npm run build\` first (npm run bench:validate does)`);
  }
  const fresh =
    args.includes('--regenerate') ||
    !fs.existsSync(bundleFile) ||
    !fs.existsSync(paramsFile) ||
    fs.readFileSync(paramsFile, 'utf8') !== PARAMS;
  if (fresh) {
    process.stdout.write(`generating ${path.relative(root, bundleFile)} ...\n`);
    await generate();
  }
  const size = fs.statSync(bundleFile).size;
  const unzip = spawnSync('unzip', ['-v']);
  if (unzip.error) throw new Error('`unzip` is not installed: it is the reference this bench compares with');

  // validateBundle in a child: node with the CLI's heap flags (main.js's first line)
  const validateInChild = () =>
    timed(process.execPath, [...shippedNodeFlags(distDir), self, '--child', bundleFile, '--dist', distDir]);
  // warm-up: page cache, and a first check that both tools accept the file
  const warm = timed('unzip', ['-tqq', bundleFile]);
  if (warm.status !== 0)
    throw new Error(`unzip -t failed on the bench bundle:\n${warm.stdout}${warm.stderr}`);
  const first = validateInChild();
  const firstOut = JSON.parse(first.stdout.trim().split('\n').pop());
  if (!firstOut.ok) throw new Error(`the bench bundle is invalid:\n${firstOut.errors.join('\n')}`);

  const v = [];
  const u = [];
  for (let i = 0; i < runs; i++) {
    const run = validateInChild();
    const out = JSON.parse(run.stdout.trim().split('\n').pop());
    v.push({ wall: run.ms, inner: out.ms, rssKb: Math.max(out.maxRssKb, run.timeRssKb || 0) });
    const z = timed('unzip', ['-tqq', bundleFile]);
    if (z.status !== 0) throw new Error('unzip -t failed');
    u.push({ wall: z.ms, rssKb: z.timeRssKb });
  }
  const vWall = median(v.map((x) => x.wall));
  const vInner = median(v.map((x) => x.inner));
  const peakRssMb = Math.max(...v.map((x) => x.rssKb)) / 1024;
  const uWall = median(u.map((x) => x.wall));
  const ratio = vWall / uWall;
  const lines = [
    '',
    `bundle: ${path.relative(root, bundleFile)}, ${(size / MB).toFixed(1)} MiB (${FUNCTIONS} function zips of ${FUNCTION_ZIP_MB} MiB random data, ${STATIC_RANDOM.count + STATIC_TEXT.count} static files); ${firstOut.functions} functions, ${firstOut.assets} assets, ${firstOut.warnings} warnings`,
    `runs: ${runs} of each, alternating, after a warm-up; medians`,
    '',
    '                              wall ms   peak RSS MB',
    `validateBundle (child node)  ${fmt(vWall)}   ${fmt(peakRssMb, 1)}    (in-process ${vInner.toFixed(0)} ms)`,
    `unzip -t                     ${fmt(uWall)}   ${u[0].rssKb ? fmt(Math.max(...u.map((x) => x.rssKb)) / 1024, 1) : '       ?'}`,
    '',
    `time ratio validate / unzip -t: ${ratio.toFixed(2)}  (target <= ${TARGET_TIME_RATIO}: ${ratio <= TARGET_TIME_RATIO ? 'met' : 'MISSED'})`,
    `peak RSS: ${peakRssMb.toFixed(1)} MB  (target <= ${TARGET_RSS_MB} MB: ${peakRssMb <= TARGET_RSS_MB ? 'met' : 'MISSED'})`,
    `throughput: ${(size / MB / (vInner / 1000)).toFixed(0)} MiB/s in-process`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  process.exitCode = ratio <= TARGET_TIME_RATIO && peakRssMb <= TARGET_RSS_MB ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 2;
});
