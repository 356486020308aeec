#!/usr/bin/env node
/**
 * Bench of memory against the number of bundles (issue 8: peak RSS over 60 bundles <= 1.2x that over
 * 6, DESIGN.md "Memory": bounded by the concurrency, not by the work). Each measurement reconciles N
 * new bundles (2 functions each) with the built CLI (a child process) at concurrency 4, on a fresh moto
 * server, and samples the child's memory every 20 ms from a preload script: peak RSS, peak V8 heap
 * used and committed, peak external memory, and the heap used after a forced full GC at exit (what
 * the run still holds: a structure growing with the bundles shows there, GC timing does not).
 * The small and large runs alternate, `--repeat` times each; it prints each run, then mean and
 * spread (min–max) per size and the ratio of the means against the 1.2x target.
 *
 * Usage: npm run bench:memory [-- --small 6 --large 60 --repeat 3 --dist DIR --node-options "..."]
 *   --node-options: flags for the CLI's node (e.g. "--max-semi-space-size=1" to show what V8's young
 *   generation contributes); MALLOC_ARENA_MAX, when set, is passed to the CLI (glibc's malloc arenas,
 *   one per thread that allocates by default); --gc-every MS: a full GC every MS ms in the CLI (what
 *   the peak is when garbage never waits for V8's next major GC); BENCH_SMALL=1: 6 vs 24 bundles, once each.
 * It prints figures and exits non-zero only when a CLI run fails (never on a ratio: a shared machine
 * is noisy).
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PutObjectCommand } = require('@aws-sdk/client-s3');
const { root, startMoto, benchS3, runCliMeasured, parseJson, peakKbOf } = require('./lib');
const { createBuckets, inParallel, smallBundle } = require('./fleet');

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const SMALL_RUN = process.env.BENCH_SMALL === '1';
const SMALL = Number(argValue('--small', '6'));
const LARGE = Number(argValue('--large', SMALL_RUN ? '24' : '60'));
const REPEAT = Number(argValue('--repeat', SMALL_RUN ? '1' : '3'));
const CONCURRENCY = Number(argValue('--concurrency', '4'));
const NODE_OPTIONS = argValue('--node-options', '');
const GC_EVERY_MS = Number(argValue('--gc-every', '0'));
const TARGET = 1.2;
const PREFIX = 'bundles/';
const dist = path.resolve(argValue('--dist', path.join(root, 'dist')));

/** A preload for the child: samples memory every 20 ms, writes the peaks (and the heap after a full
 * GC, when --expose-gc is on) to `out` at exit. */
function samplerPreload(out) {
  const file = path.join(os.tmpdir(), `memory-bench-sampler-${process.pid}.js`);
  fs.writeFileSync(
    file,
    `'use strict';
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) if (m[k] > peak[k]) peak[k] = m[k];
};
setInterval(sample, 20).unref();
if (${GC_EVERY_MS} > 0) setInterval(() => globalThis.gc(), ${GC_EVERY_MS}).unref();
process.on('exit', () => {
  sample();
  let afterGc;
  if (typeof globalThis.gc === 'function') { globalThis.gc(); afterGc = process.memoryUsage().heapUsed; }
  require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ ...peak, afterGc }));
});
`,
  );
  return file;
}

/** One run on a fresh moto: `n` new bundles reconciled at CONCURRENCY; returns its figures. */
async function measure(n, label) {
  const moto = await startMoto();
  const out = path.join(os.tmpdir(), `memory-bench-${process.pid}-${label}.json`);
  try {
    await createBuckets(moto.endpoint, ['mem-apps', 'mem-releases']);
    const s3 = benchS3(moto.endpoint);
    await inParallel(n, 8, async (i) => {
      const appId = `bench.m${i}`;
      await s3.send(
        new PutObjectCommand({
          Bucket: 'mem-releases',
          Key: `${PREFIX}${appId}_1.0.0.zip`,
          Body: await smallBundle(appId),
        }),
      );
    });
    s3.destroy();
    const preload = samplerPreload(out);
    const run = await runCliMeasured({
      distDir: dist,
      endpoint: moto.endpoint,
      tag: 'memory',
      args: ['reconcile', '--json', '--concurrency', String(CONCURRENCY)],
      env: {
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        MM_APPS_S3_BUCKET: 'mem-apps',
        MM_APPS_RELEASE_BUCKET: 'mem-releases',
        MM_APPS_RELEASE_PREFIX: PREFIX,
        APPS_DEPLOYER_LAMBDA_RPS: '15',
        APPS_DEPLOYER_LOG_LEVEL: 'warn',
        NODE_OPTIONS: `--expose-gc -r ${preload} ${NODE_OPTIONS}`.trim(),
        ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
      },
    });
    const sampled = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {};
    fs.rmSync(out, { force: true });
    const report = parseJson(run.stdout);
    return {
      n,
      code: run.code,
      s: run.ms / 1000,
      provisioned: report?.counts?.provisioned ?? 0,
      rssMb: peakKbOf(run) / 1024,
      heapUsedMb: (sampled.heapUsed ?? NaN) / 2 ** 20,
      heapTotalMb: (sampled.heapTotal ?? NaN) / 2 ** 20,
      externalMb: (sampled.external ?? NaN) / 2 ** 20,
      afterGcMb: (sampled.afterGc ?? NaN) / 2 ** 20,
      stderr: run.stderr,
    };
  } finally {
    moto.child.kill('SIGTERM');
  }
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
const spread = (xs) => `${f1(Math.min(...xs))}–${f1(Math.max(...xs))}`;
const FIELDS = [
  ['rssMb', 'peak RSS'],
  ['heapTotalMb', 'heap committed'],
  ['heapUsedMb', 'heap used'],
  ['externalMb', 'external'],
  ['afterGcMb', 'heap after full GC'],
];

function line(r) {
  return (
    `  ${String(r.n).padStart(3)} bundles: exit ${r.code}, ${r.provisioned} provisioned, ${r.s.toFixed(1)} s, ` +
    FIELDS.map(([k, name]) => `${name} ${f1(r[k])} MB`).join(', ')
  );
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'cli', 'main.js')))
    throw new Error(`${dist}/cli/main.js is missing: run \`npm run build\` (npm run bench:memory does)`);
  console.log(
    `memory bench: node ${process.version}, ${os.cpus().length} CPUs; ${SMALL} vs ${LARGE} new bundles ` +
      `× 2 functions, concurrency ${CONCURRENCY}, ${REPEAT} run(s) each` +
      `${NODE_OPTIONS ? `, node ${NODE_OPTIONS}` : ''}${GC_EVERY_MS ? `, full GC every ${GC_EVERY_MS} ms` : ''}`,
  );
  const runs = { [SMALL]: [], [LARGE]: [] };
  for (let i = 0; i < REPEAT; i++) {
    for (const n of [SMALL, LARGE]) {
      const r = await measure(n, `${n}-${i}`);
      runs[n].push(r);
      console.log(line(r));
    }
  }
  console.log('  mean (min–max):');
  for (const n of [SMALL, LARGE])
    console.log(
      `  ${String(n).padStart(3)} bundles: ` +
        FIELDS.map(
          ([k, name]) =>
            `${name} ${f1(mean(runs[n].map((r) => r[k])))} (${spread(runs[n].map((r) => r[k]))})`,
        ).join(', '),
    );
  for (const [k, name] of FIELDS) {
    const ratio = mean(runs[LARGE].map((r) => r[k])) / mean(runs[SMALL].map((r) => r[k]));
    const verdict = k === 'rssMb' ? ` (target <= ${TARGET}x) → ${ratio <= TARGET ? 'MET' : 'NOT MET'}` : '';
    console.log(`  ${name}, ${LARGE} vs ${SMALL} bundles: ${ratio.toFixed(2)}x${verdict}`);
  }
  const failed = [...runs[SMALL], ...runs[LARGE]].filter((r) => r.code !== 0 || r.provisioned !== r.n);
  for (const r of failed)
    console.log(`\n${r.n} bundles: exit ${r.code}; stderr (tail):\n${r.stderr.slice(-2000)}`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
