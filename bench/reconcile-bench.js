#!/usr/bin/env node
/**
 * Bench of a whole reconcile run: peak RSS of the built CLI (`reconcile`, run as its bin does: node
 * with main.js's heap flags; a child process) over N bundles of ~200 MB (4 function zips of ~45 MB of incompressible data + static files)
 * at concurrency 4, against a moto server started here. Target (DESIGN.md "Memory"): peak RSS <= 300 MB.
 * Then a second run (nothing to do) is measured too.
 *
 * Peak RSS is the child's own process.resourceUsage().maxRSS, reported at exit by a preload script,
 * and /usr/bin/time's figure when it is installed. It prints the figures; it is not part of the tests.
 * The bundles are kept under bench/.data/reconcile/ (gitignored) and reused while their parameters match.
 *
 * Usage: npm run bench:reconcile [-- --bundles N --concurrency N --regenerate --dist DIR]
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
  argValue,
  distDirArg,
  assertBuilt,
  runMain,
  keptDataFresh,
  benchManifest,
} = require('./lib');

const FUNCTIONS = 4;
const FUNCTION_PAYLOAD_MB = 45; // each function zip: 45 stored entries of 1 MiB of random bytes
const STATIC_FILES = { count: 16, size: 1 * MB }; // incompressible assets
const TARGET_RSS_MB = 300;
const PREFIX = 'bundles/';

const dataDir = path.join(__dirname, '.data', 'reconcile');

const BUNDLES = Number(argValue('--bundles', '4'));
const CONCURRENCY = Number(argValue('--concurrency', '4'));
const distDir = distDirArg();
const PARAMS = JSON.stringify({ BUNDLES, FUNCTIONS, FUNCTION_PAYLOAD_MB, STATIC_FILES, v: 2 });

const appId = (i) => `bench.app${i}`;
const bundleFile = (i) => path.join(dataDir, `${appId(i)}_1.0.zip`);

async function generate() {
  const paramsFile = path.join(dataDir, 'params.json');
  const files = Array.from({ length: BUNDLES }, (_, i) => bundleFile(i));
  if (keptDataFresh(paramsFile, PARAMS, files)) return;
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  console.log(
    `generating ${BUNDLES} bundles of ~${FUNCTIONS * FUNCTION_PAYLOAD_MB + STATIC_FILES.count} MB in ${dataDir} ...`,
  );
  // one random payload per function index, shared by the bundles (each function zip still differs:
  // its index.js names the app, so every bundle stages and deploys its own code)
  const payloads = Array.from({ length: FUNCTIONS }, () =>
    Array.from({ length: FUNCTION_PAYLOAD_MB }, () => crypto.randomBytes(MB)),
  );
  for (let i = 0; i < BUNDLES; i++) {
    const fnFiles = [];
    for (let f = 0; f < FUNCTIONS; f++) {
      const fnFile = path.join(dataDir, `tmp-fn${f}.zip`);
      await zipTo(fnFile, (zip) => {
        zip.addBuffer(
          Buffer.from(`exports.handler = async () => ({ body: '${appId(i)} fn${f}' });\n`),
          'index.js',
        );
        payloads[f].forEach((b, k) => zip.addBuffer(b, `node_modules/blob${k}.bin`, { compress: false }));
      });
      fnFiles.push(fnFile);
    }
    const manifest = benchManifest({
      appId: appId(i),
      version: '1.0',
      displayName: `Bench app ${i}`,
      functions: FUNCTIONS,
    });
    await zipTo(bundleFile(i), (zip) => {
      zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), 'manifest.json');
      fnFiles.forEach((file, f) => zip.addFile(file, `fn${f}.zip`, { compress: false }));
      for (let s = 0; s < STATIC_FILES.count; s++)
        zip.addBuffer(crypto.randomBytes(STATIC_FILES.size), `static/asset${s}.bin`, { compress: false });
    });
    for (const file of fnFiles) fs.rmSync(file);
  }
  fs.writeFileSync(paramsFile, PARAMS);
}

async function prepareBuckets(endpoint) {
  const { CreateBucketCommand } = require('@aws-sdk/client-s3');
  const { Upload } = require('@aws-sdk/lib-storage');
  const s3 = benchS3(endpoint);
  for (const Bucket of ['bench-apps', 'bench-releases']) await s3.send(new CreateBucketCommand({ Bucket }));
  for (let i = 0; i < BUNDLES; i++) {
    await new Upload({
      client: s3,
      params: {
        Bucket: 'bench-releases',
        Key: `${PREFIX}${appId(i)}_1.0.zip`,
        Body: fs.createReadStream(bundleFile(i)),
      },
      partSize: 16 * MB,
      queueSize: 2,
    }).done();
  }
  s3.destroy();
}

/** Runs the CLI in a child process; returns its exit code, wall time, report and peak RSS. */
async function runCli(endpoint, args) {
  const run = await runCliMeasured({
    distDir,
    endpoint,
    tag: 'reconcile',
    args,
    env: {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      MM_APPS_S3_BUCKET: 'bench-apps',
      MM_APPS_RELEASE_BUCKET: 'bench-releases',
      MM_APPS_RELEASE_PREFIX: PREFIX,
      APPS_DEPLOYER_LOG_LEVEL: 'warn',
    },
  });
  return { ...run, report: parseJson(run.stdout) };
}

async function main() {
  assertBuilt(distDir, 'bench:reconcile');
  await generate();
  const sizes = Array.from({ length: BUNDLES }, (_, i) => fs.statSync(bundleFile(i)).size);
  const moto = await startMoto();
  try {
    console.log(`moto server at ${moto.endpoint}; uploading ${BUNDLES} bundles ...`);
    await prepareBuckets(moto.endpoint);
    const first = await runCli(moto.endpoint, ['reconcile', '--json', '--concurrency', String(CONCURRENCY)]);
    const second = await runCli(moto.endpoint, ['reconcile', '--json', '--concurrency', String(CONCURRENCY)]);
    const lines = [
      '',
      `reconcile bench: ${BUNDLES} bundles × ${(sizes[0] / MB).toFixed(0)} MB ` +
        `(${(sizes.reduce((a, b) => a + b, 0) / MB).toFixed(0)} MB in all; ${FUNCTIONS} function zips of ~${FUNCTION_PAYLOAD_MB} MB each), ` +
        `concurrency ${CONCURRENCY}, node ${process.version}, ${os.cpus().length} CPUs`,
      `  first run : exit ${first.code}, ${(first.ms / 1000).toFixed(1)} s, outcomes ${JSON.stringify(first.report?.counts)}`,
      `              peak RSS ${mb(first.selfKb)} (process.resourceUsage), ${mb(first.timeKb)} (/usr/bin/time)`,
      `              requests ${JSON.stringify(first.report?.requests)}`,
      `  second run: exit ${second.code}, ${(second.ms / 1000).toFixed(1)} s, outcomes ${JSON.stringify(second.report?.counts)}`,
      `              peak RSS ${mb(second.selfKb)}, requests ${JSON.stringify(second.report?.requests)}`,
    ];
    reportVerdict(lines, first, second, TARGET_RSS_MB);
  } finally {
    moto.child.kill('SIGTERM');
  }
}

if (require.main === module) runMain(main);
