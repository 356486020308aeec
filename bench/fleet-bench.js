#!/usr/bin/env node
/**
 * Bench of a large fleet with nothing to do: N provisioned versions (release object, manifest and
 * marker each, seeded straight into a moto server started here), then, each in a child process
 * through a request-recording proxy (bench/fleet.js):
 *   - a bare listing of the same three prefixes (bench/bare-listing.js): the baseline;
 *   - `reconcile --json` (a no-op run): time and ratio to the baseline, requests by operation, bytes
 *     written (request bodies of S3 PUT/POST: the lock, its renewals, the run record);
 *   - `plan` and `status` (human output): time, requests, and status / plan.
 * Targets (issue 8): a no-op run at 10,000 writes < 4 KB; status <= 1.5x plan at 10,000.
 * It prints figures; it is not a test. Timings are noisy on a shared machine.
 *
 * Usage: npm run bench:noop [-- --sizes 1000,10000 --dist DIR --before DIR]   (BENCH_SMALL=1: 200)
 *        npm run bench:status  (= --sizes 10000 --status-only)
 *   --before DIR: also run another build's no-op and status on the same seeded fleet.
 *   --before-status-max N: skip the other build's `status` above N versions (one HeadObject per
 *     manifest: minutes at 10,000 on a loaded machine).
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const {
  startMoto,
  runCliMeasured,
  parseJson,
  argValue,
  distDirArg,
  optionalDirArg,
  SMALL,
  benchHeading,
  assertBuilt,
  runMain,
} = require('./lib');
const {
  startProxy,
  requestsByOperation,
  s3BytesWritten,
  seedProvisioned,
  createBuckets,
} = require('./fleet');

const SIZES = argValue('--sizes', SMALL ? '200' : '1000,10000')
  .split(',')
  .map(Number);
const STATUS_ONLY = process.argv.includes('--status-only');
const dist = distDirArg();
const before = optionalDirArg('--before');
const BEFORE_STATUS_MAX = Number(argValue('--before-status-max', 'Infinity'));
const PREFIX = 'bundles/';
const ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  MM_APPS_S3_BUCKET: 'fleet-apps',
  MM_APPS_RELEASE_BUCKET: 'fleet-releases',
  MM_APPS_RELEASE_PREFIX: PREFIX,
  APPS_DEPLOYER_LOG_LEVEL: 'warn',
};

/**
 * App id → the key of its settings-fingerprint marker under the default settings, computed by the
 * build being measured (undefined for a build without settings fingerprints).
 */
function settingsKeyOf(distDir) {
  const fingerprintJs = path.join(distDir, 'settings', 'fingerprint.js');
  if (!fs.existsSync(fingerprintJs)) return undefined;
  const { loadConfig } = require(path.join(distDir, 'config.js'));
  const { effectiveSettings } = require(path.join(distDir, 'settings', 'effective.js'));
  const { settingsFingerprint, settingsMarkerKey } = require(fingerprintJs);
  const config = loadConfig({ ...ENV, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
  return (appId) => settingsMarkerKey(appId, settingsFingerprint(effectiveSettings(config, appId)));
}

/** Runs bench/bare-listing.js in a child; resolves { code, ms, stdout }. */
function bareListing(endpoint) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(__dirname, 'bare-listing.js')], {
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...ENV,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.on('close', (code) => resolve({ code, ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout }));
  });
}

async function cli(distDir, proxy, args) {
  proxy.reset();
  const run = await runCliMeasured({ distDir, endpoint: proxy.url, tag: 'fleet', args, env: ENV });
  return {
    code: run.code,
    ms: run.ms,
    requests: requestsByOperation(proxy.log),
    written: s3BytesWritten(proxy.log),
    stdout: run.stdout,
    stderr: run.stderr,
  };
}

/** CLI runs that failed (a broken benchmark: the script exits 1; figures never fail it). */
const failures = [];
const check = (what, run) => {
  if (run.code !== 0) failures.push(`${what}: exit ${run.code}\n${(run.stderr ?? '').slice(-2000)}`);
};

const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const reqs = (r) => JSON.stringify(r.requests);

async function size(n) {
  const moto = await startMoto();
  const proxy = await startProxy(moto.endpoint, 0);
  try {
    await createBuckets(moto.endpoint, [ENV.MM_APPS_S3_BUCKET, ENV.MM_APPS_RELEASE_BUCKET]);
    const t0 = Date.now();
    await seedProvisioned(moto.endpoint, {
      appsBucket: ENV.MM_APPS_S3_BUCKET,
      releaseBucket: ENV.MM_APPS_RELEASE_BUCKET,
      prefix: PREFIX,
      n,
      appId: (i) => `bench.f${i}`,
      settingsKey: settingsKeyOf(dist),
    });
    console.log(`\n${n} provisioned versions seeded in ${secs(Date.now() - t0)} (moto at ${moto.endpoint})`);
    const builds = before
      ? [
          ['before', before],
          ['after', dist],
        ]
      : [['this build', dist]];
    proxy.reset();
    const bare = await bareListing(proxy.url);
    const bareRequests = requestsByOperation(proxy.log);
    console.log(
      `  bare listing of the 3 prefixes : ${secs(bare.ms)}, requests ${JSON.stringify(bareRequests)}`,
    );
    for (const [name, distDir] of builds) {
      const plan = await cli(distDir, proxy, ['plan']);
      check(`${name} plan at ${n}`, plan);
      if (distDir === before && n > BEFORE_STATUS_MAX) {
        console.log(
          `  ${name}: plan   : exit ${plan.code}, ${secs(plan.ms)}; status skipped (--before-status-max)`,
        );
      } else {
        const status = await cli(distDir, proxy, ['status']);
        check(`${name} status at ${n}`, status);
        console.log(
          `  ${name}: plan   : exit ${plan.code}, ${secs(plan.ms)}, requests ${reqs(plan)}\n` +
            `  ${name}: status : exit ${status.code}, ${secs(status.ms)}, requests ${reqs(status)}; ` +
            `status / plan = ${(status.ms / plan.ms).toFixed(2)}x (target <= 1.5x at 10,000)`,
        );
      }
      if (STATUS_ONLY) continue;
      // the baseline right before the no-op, so that both see the same load on a shared machine
      const bareNow = await bareListing(proxy.url);
      const noop = await cli(distDir, proxy, ['reconcile', '--json']);
      check(`${name} no-op at ${n}`, noop);
      const report = parseJson(noop.stdout);
      console.log(
        `  ${name}: no-op  : exit ${noop.code}, ${secs(noop.ms)} = ${(noop.ms / bareNow.ms).toFixed(2)}x the bare listing (${secs(bareNow.ms)}), ` +
          `counts ${JSON.stringify(report?.counts)}, requests ${reqs(noop)}, ` +
          `bytes written ${noop.written} (target < 4096 at 10,000), --json report ${noop.stdout.length} bytes`,
      );
    }
  } finally {
    await proxy.close();
    moto.child.kill('SIGTERM');
  }
}

async function main() {
  for (const d of [dist, before].filter(Boolean)) assertBuilt(d, 'bench:noop');
  console.log(benchHeading('fleet'));
  for (const n of SIZES) await size(n);
  for (const f of failures) console.log(`\nFAILED ${f}`);
  if (failures.length > 0) process.exitCode = 1;
}

runMain(main);
