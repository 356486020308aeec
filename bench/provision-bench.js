#!/usr/bin/env node
/**
 * Bench of `apps-deployer provision`: peak RSS of the built CLI (`provision`, run as its bin does:
 * node with main.js's heap flags; a child process) provisioning one bundle of 4 function zips of ~45 MB (incompressible) and 100 MB of
 * static files (large ones go up as multipart uploads), against a moto server started here.
 * Target (issue 3): peak RSS <= 250 MB — code and assets stream, nothing the size of a function is
 * held in memory. A second provision (nothing to do) is measured too.
 *
 * Peak RSS is the child's own process.resourceUsage().maxRSS, written at exit by a preload script,
 * and /usr/bin/time's figure when it is installed. It prints the figures; it is not part of the tests.
 * The bundle is kept under bench/.data/provision/ (gitignored) and reused while its parameters match.
 *
 * Usage: npm run bench:provision [-- --regenerate --dist DIR]
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  MB,
  zipTo,
  startMoto,
  benchS3,
  runCliMeasured,
  mb,
  parseJson,
  reportVerdict,
  distDirArg,
  assertBuilt,
  runMain,
  keptDataFresh,
  benchManifest,
} = require('./lib');

const FUNCTIONS = 4;
const FUNCTION_PAYLOAD_MB = 45; // each function zip: 45 stored entries of 1 MiB of random bytes
const STATIC_LARGE = { count: 6, size: 15 * MB }; // media: multipart uploads (part size 8 MiB)
const STATIC_SMALL = { count: 40, size: 256 * 1024 }; // scripts, images, ...
const TARGET_RSS_MB = 250;
const APP_ID = 'bench.provision';
const VERSION = '1.0';

const dataDir = path.join(__dirname, '.data', 'provision');
const bundleFile = path.join(dataDir, `${APP_ID}_${VERSION}.zip`);

const distDir = distDirArg();
const PARAMS = JSON.stringify({ FUNCTIONS, FUNCTION_PAYLOAD_MB, STATIC_LARGE, STATIC_SMALL, v: 2 });

/** Writes `size` random bytes to a file without holding them all (1 MiB at a time). */
function randomFile(file, size) {
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < size; done += MB)
      fs.writeSync(fd, crypto.randomBytes(Math.min(MB, size - done)));
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

async function generate() {
  const paramsFile = path.join(dataDir, 'params.json');
  if (keptDataFresh(paramsFile, PARAMS, [bundleFile])) return;
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  console.log(`generating the bench bundle in ${dataDir} ...`);
  const tmp = [];
  const fnFiles = [];
  for (let f = 0; f < FUNCTIONS; f++) {
    const blobs = Array.from({ length: FUNCTION_PAYLOAD_MB }, (_, k) =>
      randomFile(path.join(dataDir, `tmp-fn${f}-blob${k}.bin`), MB),
    );
    tmp.push(...blobs);
    const fnFile = path.join(dataDir, `tmp-fn${f}.zip`);
    await zipTo(fnFile, (zip) => {
      zip.addBuffer(Buffer.from(`exports.handler = async () => ({ body: 'fn${f}' });\n`), 'index.js');
      blobs.forEach((b, k) => zip.addFile(b, `node_modules/blob${k}.bin`, { compress: false }));
    });
    fnFiles.push(fnFile);
  }
  const statics = [];
  for (let s = 0; s < STATIC_LARGE.count; s++)
    statics.push([
      randomFile(path.join(dataDir, `tmp-large${s}.bin`), STATIC_LARGE.size),
      `static/media/video ${s}.mp4`,
    ]);
  for (let s = 0; s < STATIC_SMALL.count; s++)
    statics.push([
      randomFile(path.join(dataDir, `tmp-small${s}.bin`), STATIC_SMALL.size),
      `static/img/pic${s}.png`,
    ]);
  tmp.push(...fnFiles, ...statics.map(([file]) => file));
  const manifest = benchManifest({
    appId: APP_ID,
    version: VERSION,
    displayName: 'Provision bench',
    functions: FUNCTIONS,
  });
  await zipTo(bundleFile, (zip) => {
    zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), 'manifest.json');
    fnFiles.forEach((file, f) => zip.addFile(file, `fn${f}.zip`, { compress: false }));
    for (const [file, name] of statics) zip.addFile(file, name, { compress: false });
  });
  for (const file of tmp) fs.rmSync(file);
  fs.writeFileSync(paramsFile, PARAMS);
}

async function createBucket(endpoint, Bucket) {
  const { CreateBucketCommand } = require('@aws-sdk/client-s3');
  const s3 = benchS3(endpoint);
  await s3.send(new CreateBucketCommand({ Bucket }));
  s3.destroy();
}

/** Runs `provision` in a child process; returns exit code, wall time, result, requests and peak RSS. */
async function runProvision(endpoint) {
  const run = await runCliMeasured({
    distDir,
    endpoint,
    tag: 'provision',
    args: ['provision', bundleFile, '--json'],
    env: {
      APPS_PROVISION_AWS_ACCESS_KEY: 'testing',
      APPS_PROVISION_AWS_SECRET_KEY: 'testing',
      MM_APPS_S3_BUCKET: 'bench-provision-apps',
      APPS_DEPLOYER_LOG_LEVEL: 'info',
    },
  });
  // the CLI logs the request counts in its last info line
  const finished = run.stderr
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('provision finished'))
    .map((l) => JSON.parse(l))[0];
  return { ...run, result: parseJson(run.stdout), requests: finished?.requests };
}

const outcomes = (items) =>
  items ? Object.entries(items.reduce((a, i) => ({ ...a, [i.outcome]: (a[i.outcome] ?? 0) + 1 }), {})) : [];

async function main() {
  assertBuilt(distDir, 'bench:provision');
  await generate();
  const size = fs.statSync(bundleFile).size;
  const moto = await startMoto();
  try {
    await createBucket(moto.endpoint, 'bench-provision-apps');
    console.log(
      `moto server at ${moto.endpoint}; provisioning ${bundleFile} (${(size / MB).toFixed(0)} MB) ...`,
    );
    const first = await runProvision(moto.endpoint);
    const second = await runProvision(moto.endpoint);
    const staticMb = (STATIC_LARGE.count * STATIC_LARGE.size + STATIC_SMALL.count * STATIC_SMALL.size) / MB;
    const lines = [
      '',
      `provision bench: one bundle of ${(size / MB).toFixed(0)} MB (${FUNCTIONS} function zips of ~${FUNCTION_PAYLOAD_MB} MB, ` +
        `${staticMb.toFixed(0)} MB of static files), node ${process.version}, ${os.cpus().length} CPUs`,
      `  first run : exit ${first.code}, ${(first.ms / 1000).toFixed(1)} s, status ${first.result?.status}, ` +
        `functions ${JSON.stringify(outcomes(first.result?.functions))}, assets ${JSON.stringify(outcomes(first.result?.assets))}`,
      `              peak RSS ${mb(first.selfKb)} (process.resourceUsage), ${mb(first.timeKb)} (/usr/bin/time)`,
      `              requests ${JSON.stringify(first.requests)}`,
      `  second run: exit ${second.code}, ${(second.ms / 1000).toFixed(1)} s, status ${second.result?.status}, ` +
        `peak RSS ${mb(second.selfKb)}`,
      `              requests ${JSON.stringify(second.requests)}`,
    ];
    reportVerdict(lines, first, second, TARGET_RSS_MB);
  } finally {
    moto.child.kill('SIGTERM');
  }
}

if (require.main === module) runMain(main);
