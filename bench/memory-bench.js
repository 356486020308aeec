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
 * The CLI runs as its bin does: node with the heap flags on main.js's first line (src/cli/main.ts);
 * --host-heap leaves them out (V8 sizes its heap from the host's memory, as before those flags).
 * Usage: npm run bench:memory [-- --small 6 --large 60 --repeat 3 --dist DIR --node-options "..."
 *   --node-flags "..." --host-heap --alloc-profile DIR [--alloc-promoted]]
 *   --node-options: NODE_OPTIONS for the CLI (the command line's flags, main.js's included, win over
 *   them: to change a shipped flag, use --node-flags); MALLOC_ARENA_MAX, when set, is passed to the CLI (glibc's malloc arenas,
 *   one per thread that allocates by default); --gc-every MS: a full GC every MS ms in the CLI (what
 *   the peak is when garbage never waits for V8's next major GC); --alloc-profile DIR: a sampling heap
 *   profile of every allocation per run (DIR/memory-N-I.heapprofile, opens in Chrome DevTools) and the
 *   top allocators by function (diagnosis only: the profiler itself adds ~10 MB of RSS); with
 *   --alloc-promoted, only what survived the young generation (promoted, live or since collected: what
 *   the old space piles up; two scavenges run before the profile is taken); --node-flags: flags on the
 *   CLI's node command line after main.js's flags, for V8 flags NODE_OPTIONS refuses and to override
 *   a shipped flag (diagnosis only, e.g. "--no-opt" or "--max-semi-space-size=16");
 *   the RSS at the peak is also split into anonymous memory and mapped files (/proc/self/status);
 *   MEMORY_BENCH_REQUESTS=1: the requests of each run by operation; BENCH_SMALL=1: 6 vs 24 bundles, once each.
 * It prints figures and exits non-zero only when a CLI run fails (never on a ratio: a shared machine
 * is noisy).
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PutObjectCommand } = require('@aws-sdk/client-s3');
const { root, startMoto, benchS3, cliCommand, runCliMeasured, parseJson, peakKbOf } = require('./lib');
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
/** V8 flags NODE_OPTIONS refuses, on the CLI's node command line (diagnosis only) */
const NODE_FLAGS = argValue('--node-flags', '').split(' ').filter(Boolean);
const GC_EVERY_MS = Number(argValue('--gc-every', '0'));
/** without main.js's heap flags: V8 sized from the host's memory */
const HOST_HEAP = process.argv.includes('--host-heap');
const ALLOC_PROFILE_DIR = argValue('--alloc-profile', '');
/** with --alloc-profile: keep only what survived the young generation (promoted), live or not */
const ALLOC_PROMOTED = process.argv.includes('--alloc-promoted');
const TARGET = 1.2;
const PREFIX = 'bundles/';
const dist = path.resolve(argValue('--dist', path.join(root, 'dist')));

/** A preload for the child: samples memory every 20 ms, writes the peaks (and the heap after a full
 * GC, when --expose-gc is on) to `out` at exit, with V8's spaces at the moment of the peak RSS (new
 * space = the young generation's semi-spaces, old space = what scavenges promoted, live or not yet
 * collected). With `profile` (--alloc-profile), V8's sampling heap profiler also runs, keeping the
 * samples of objects the GC collected: every allocation of the run by function, not only the live ones. */
function samplerPreload(out, profile) {
  const file = path.join(os.tmpdir(), `memory-bench-sampler-${process.pid}.js`);
  fs.writeFileSync(
    file,
    `'use strict';
const v8 = require('node:v8');
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
let spacesAtPeak = {};
const sample = () => {
  const m = process.memoryUsage();
  if (m.rss > peak.rss) {
    spacesAtPeak = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, [s.space_size, s.space_used_size]]));
    // the kernel's split of the RSS: anonymous memory (heaps, malloc) and mapped files (node's binary, libraries)
    try {
      const status = require('node:fs').readFileSync('/proc/self/status', 'utf8');
      for (const row of status.split('\\n')) { const [k, v] = row.split(':'); if (k === 'RssAnon' || k === 'RssFile') spacesAtPeak[k] = [parseInt(v, 10) * 1024, 0]; }
    } catch {}
  }
  for (const k of Object.keys(peak)) if (m[k] > peak[k]) peak[k] = m[k];
};
setInterval(sample, 20).unref();
// V8's collections (what a smaller young generation costs): count and pause time by kind
const gcs = { minor: 0, major: 0, ms: 0 };
const { PerformanceObserver, constants } = require('node:perf_hooks');
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcs.ms += e.duration;
    if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs.minor++;
    else if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
  }
}).observe({ entryTypes: ['gc'] });
if (${GC_EVERY_MS} > 0) setInterval(() => globalThis.gc(), ${GC_EVERY_MS}).unref();
let session;
if (${JSON.stringify(profile ?? '')}) {
  session = new (require('node:inspector').Session)();
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', { samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: ${!ALLOC_PROMOTED} });
}
process.on('exit', () => {
  sample();
  const cpu = process.cpuUsage();
  // with --alloc-promoted, two scavenges first: what is still young and dead leaves the profile
  if (session && ${ALLOC_PROMOTED} && typeof globalThis.gc === 'function') { globalThis.gc({ type: 'minor' }); globalThis.gc({ type: 'minor' }); }
  if (session) session.post('HeapProfiler.stopSampling', (err, r) => {
    if (!err) require('node:fs').writeFileSync(${JSON.stringify(profile ?? '')}, JSON.stringify(r.profile));
  });
  let afterGc;
  if (typeof globalThis.gc === 'function') { globalThis.gc(); afterGc = process.memoryUsage().heapUsed; }
  require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ ...peak, afterGc, spacesAtPeak, cpuMs: (cpu.user + cpu.system) / 1000, gcs }));
});
`,
  );
  return file;
}

/** Allocation by function (self size) of a sampling heap profile: total MB and the `top` largest. */
function topAllocators(file, top) {
  const byFn = new Map();
  let total = 0;
  const walk = (node) => {
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(JSON.parse(fs.readFileSync(file, 'utf8')).head);
  const rows = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMb: total / 2 ** 20,
    rows: rows.map(([k, v]) => `${(v / 2 ** 20).toFixed(1).padStart(6)} MB  ${k}`),
  };
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
    const profile = ALLOC_PROFILE_DIR
      ? path.join(ALLOC_PROFILE_DIR, `memory-${label}.heapprofile`)
      : undefined;
    const preload = samplerPreload(out, profile);
    const run = await runCliMeasured({
      distDir: dist,
      endpoint: moto.endpoint,
      tag: 'memory',
      nodeFlags: NODE_FLAGS,
      shippedFlags: !HOST_HEAP,
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
    if (process.env.MEMORY_BENCH_STDOUT)
      fs.writeFileSync(path.join(process.env.MEMORY_BENCH_STDOUT, `stdout-${label}.txt`), run.stdout);
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
      requests: report?.requests ?? {},
      newSpaceMb: (sampled.spacesAtPeak?.new_space?.[0] ?? NaN) / 2 ** 20,
      oldSpaceMb: (sampled.spacesAtPeak?.old_space?.[1] ?? NaN) / 2 ** 20,
      codeSpaceMb: (sampled.spacesAtPeak?.code_space?.[0] ?? NaN) / 2 ** 20,
      rssAnonMb: (sampled.spacesAtPeak?.RssAnon?.[0] ?? NaN) / 2 ** 20,
      rssFileMb: (sampled.spacesAtPeak?.RssFile?.[0] ?? NaN) / 2 ** 20,
      cpuS: (sampled.cpuMs ?? NaN) / 1000,
      gcMs: sampled.gcs?.ms ?? NaN,
      scavenges: sampled.gcs?.minor ?? NaN,
      markCompacts: sampled.gcs?.major ?? NaN,
      profile,
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
  ['rssMb', 'peak RSS', ' MB'],
  ['heapTotalMb', 'heap committed', ' MB'],
  ['heapUsedMb', 'heap used', ' MB'],
  ['externalMb', 'external', ' MB'],
  ['afterGcMb', 'heap after full GC', ' MB'],
  ['newSpaceMb', 'at the peak: new space', ' MB'],
  ['oldSpaceMb', 'old space used', ' MB'],
  ['codeSpaceMb', 'code space', ' MB'],
  ['rssAnonMb', 'RSS anonymous', ' MB'],
  ['rssFileMb', 'RSS files', ' MB'],
  // what the memory costs in CPU: the run's user+system time, V8's collections and their pauses
  ['cpuS', 'CPU', ' s'],
  ['gcMs', 'GC pauses', ' ms'],
  ['scavenges', 'scavenges', ''],
  ['markCompacts', 'mark-compacts', ''],
];

function line(r) {
  return (
    `  ${String(r.n).padStart(3)} bundles: exit ${r.code}, ${r.provisioned} provisioned, ${r.s.toFixed(1)} s, ` +
    FIELDS.map(([k, name, unit]) => `${name} ${f1(r[k])}${unit}`).join(', ')
  );
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'cli', 'main.js')))
    throw new Error(`${dist}/cli/main.js is missing: run \`npm run build\` (npm run bench:memory does)`);
  console.log(
    `memory bench: node ${process.version}, ${os.cpus().length} CPUs; ${SMALL} vs ${LARGE} new bundles ` +
      `× 2 functions, concurrency ${CONCURRENCY}, ${REPEAT} run(s) each` +
      `, ${HOST_HEAP ? 'V8 heap sized from the host (--host-heap)' : `node ${cliCommand(dist, []).slice(0, -1).join(' ') || '(no flags)'}`}` +
      `${NODE_FLAGS.length ? ` ${NODE_FLAGS.join(' ')}` : ''}` +
      `${NODE_OPTIONS ? `, NODE_OPTIONS ${NODE_OPTIONS}` : ''}${GC_EVERY_MS ? `, full GC every ${GC_EVERY_MS} ms` : ''}`,
  );
  const runs = { [SMALL]: [], [LARGE]: [] };
  for (let i = 0; i < REPEAT; i++) {
    for (const n of [SMALL, LARGE]) {
      const r = await measure(n, `${n}-${i}`);
      runs[n].push(r);
      console.log(line(r));
      if (process.env.MEMORY_BENCH_REQUESTS === '1')
        console.log(`    requests: ${JSON.stringify(r.requests)}`);
      if (r.profile && fs.existsSync(r.profile)) {
        const { totalMb, rows } = topAllocators(r.profile, 15);
        console.log(`    allocated (sampled): ${f1(totalMb)} MB; top by function (${r.profile}):`);
        for (const row of rows) console.log(`      ${row}`);
      }
    }
  }
  console.log('  mean (min–max):');
  for (const n of [SMALL, LARGE])
    console.log(
      `  ${String(n).padStart(3)} bundles: ` +
        FIELDS.map(
          ([k, name, unit]) =>
            `${name} ${f1(mean(runs[n].map((r) => r[k])))}${unit} (${spread(runs[n].map((r) => r[k]))})`,
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
