#!/usr/bin/env node
/**
 * Bench of provisioning throughput against the Lambda quota pools: N new bundles (2 functions each)
 * reconciled by the built CLI (a child process) at concurrency 1, 4 and 8 with the shared Lambda
 * control-plane pool set to 15/s, against a moto server started here, through a small proxy
 * (bench/fleet.js) that records every request and can add latency to each.
 *
 * Figures: wall time per concurrency; the rate of shared-pool calls (everything but GetFunction,
 * GetPolicy, Invoke) between the first and the last such call; with 100 ms of latency per request
 * (moto alone is CPU-bound on a small machine), the speed-up from concurrency 1 to 8; peak RSS of
 * 6 vs 60 bundles. Targets (issue 8): shared pool >= 80% of 15/s at concurrency 8; speed-up >= 3x;
 * RSS(60) / RSS(6) <= 1.2. It prints figures; it is not a test. Timings are noisy on a shared machine.
 *
 * Usage: npm run bench:pools [-- --bundles N --dist DIR --before DIR]
 *   BENCH_SMALL=1 (CI): 12 bundles, concurrency 1 and 4, no memory scenario (bench/memory-bench.js has it)
 *   --before DIR: also measure another build (e.g. the code before a change) in the same run.
 */
'use strict';
const {
  startMoto,
  benchS3,
  runCliMeasured,
  parseJson,
  peakKbOf,
  mb,
  argValue,
  distDirArg,
  optionalDirArg,
  SMALL,
  benchHeading,
  assertBuilt,
  runMain,
} = require('./lib');
const { startProxy, sharedPoolRate, createBuckets, inParallel, smallBundle } = require('./fleet');

const BUNDLES = Number(argValue('--bundles', SMALL ? '12' : '60'));
const RSS_SMALL = 6;
const RATE = 15;
const PREFIX = 'bundles/';
const dist = distDirArg();
const before = optionalDirArg('--before');

/** One scenario on a fresh moto: upload `n` bundles, reconcile once; returns its figures. */
async function scenario({ distDir, n, concurrency, latencyMs }) {
  const moto = await startMoto();
  const proxy = await startProxy(moto.endpoint, latencyMs);
  try {
    await createBuckets(moto.endpoint, ['pools-apps', 'pools-releases']);
    const { PutObjectCommand } = require('@aws-sdk/client-s3');
    const s3 = benchS3(moto.endpoint);
    await inParallel(n, 8, async (i) => {
      const appId = `bench.p${i}`;
      await s3.send(
        new PutObjectCommand({
          Bucket: 'pools-releases',
          Key: `${PREFIX}${appId}_1.0.0.zip`,
          Body: await smallBundle(appId),
        }),
      );
    });
    s3.destroy();
    const run = await runCliMeasured({
      distDir,
      endpoint: proxy.url,
      tag: 'pools',
      args: ['reconcile', '--json', '--concurrency', String(concurrency)],
      env: {
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        MM_APPS_S3_BUCKET: 'pools-apps',
        MM_APPS_RELEASE_BUCKET: 'pools-releases',
        MM_APPS_RELEASE_PREFIX: PREFIX,
        APPS_DEPLOYER_LAMBDA_RPS: String(RATE),
        APPS_DEPLOYER_LOG_LEVEL: 'warn',
      },
    });
    const report = parseJson(run.stdout);
    return {
      code: run.code,
      s: run.ms / 1000,
      rss: peakKbOf(run),
      shared: sharedPoolRate(proxy.log),
      provisioned: report?.counts?.provisioned ?? 0,
      stderr: run.stderr,
    };
  } finally {
    await proxy.close();
    moto.child.kill('SIGTERM');
  }
}

function line(label, r) {
  const pct = ((r.shared.rate / RATE) * 100).toFixed(0);
  return (
    `  ${label.padEnd(26)} exit ${r.code}, ${r.provisioned} provisioned, ${r.s.toFixed(1)} s, ` +
    `shared pool ${r.shared.calls} calls at ${r.shared.rate.toFixed(1)}/s (${pct}% of ${RATE}/s; ` +
    `${r.shared.sustained.toFixed(1)}/s after the burst), peak RSS ${mb(r.rss)}`
  );
}

async function measure(name, distDir) {
  assertBuilt(distDir, 'bench:pools');
  console.log(
    `\n${name} (${distDir}): ${BUNDLES} new bundles × 2 functions, APPS_DEPLOYER_LAMBDA_RPS=${RATE}`,
  );
  const out = {};
  for (const c of SMALL ? [1, 4] : [1, 4, 8]) {
    out[`c${c}`] = await scenario({ distDir, n: BUNDLES, concurrency: c, latencyMs: 0 });
    console.log(line(`concurrency ${c}`, out[`c${c}`]));
  }
  const top = SMALL ? 4 : 8;
  for (const c of [1, top]) {
    out[`l${c}`] = await scenario({ distDir, n: BUNDLES, concurrency: c, latencyMs: 100 });
    console.log(line(`concurrency ${c}, +100 ms`, out[`l${c}`]));
  }
  // BENCH_SMALL (CI): memory is bench/memory-bench.js's figure; the pools bench keeps to the pools
  if (!SMALL) {
    out.rss6 = await scenario({ distDir, n: RSS_SMALL, concurrency: 4, latencyMs: 0 });
    console.log(line(`${RSS_SMALL} bundles, concurrency 4`, out.rss6));
  }
  const c8 = out[`c${top}`];
  const speedup = out.l1.s / out[`l${top}`].s;
  const rssRatio = out.rss6 ? out.c4.rss / out.rss6.rss : NaN;
  const pct = (c8.shared.rate / RATE) * 100;
  console.log(
    [
      `  shared-pool rate at concurrency ${top}: ${pct.toFixed(0)}% of ${RATE}/s (target >= 80%) → ${pct >= 80 ? 'MET' : 'NOT MET'}`,
      top === 8
        ? `  speed-up 1 → 8 with 100 ms latency: ${speedup.toFixed(2)}x (target >= 3x) → ${speedup >= 3 ? 'MET' : 'NOT MET'}`
        : `  speed-up 1 → ${top} with 100 ms latency: ${speedup.toFixed(2)}x (the target, >= 3x, is for 1 → 8: the full bench measures it)`,
      ...(out.rss6
        ? [
            `  peak RSS ${BUNDLES} vs ${RSS_SMALL} bundles (concurrency 4): ${rssRatio.toFixed(2)}x (target <= 1.2x) → ${rssRatio <= 1.2 ? 'MET' : 'NOT MET'}; bench/memory-bench.js measures it repeatedly`,
          ]
        : []),
    ].join('\n'),
  );
  const failed = Object.entries(out).filter(([, r]) => r.code !== 0);
  for (const [k, r] of failed)
    console.log(`\n${name} ${k} exit ${r.code}; stderr (tail):\n${r.stderr.slice(-2000)}`);
  return failed.length === 0;
}

async function main() {
  console.log(benchHeading('pools'));
  let ok = true;
  if (before) ok = (await measure('before', before)) && ok;
  ok = (await measure(before ? 'after' : 'this build', dist)) && ok;
  process.exitCode = ok ? 0 : 1;
}

runMain(main);
