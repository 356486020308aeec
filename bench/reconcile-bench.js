#!/usr/bin/env node
/**
 * Bench of a whole reconcile run: peak RSS of the built CLI (`node dist/cli/main.js reconcile`, a child
 * process) over N bundles of ~200 MB (4 function zips of ~45 MB of incompressible data + static files)
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
/* global fetch, setTimeout */
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const yazl = require('yazl');

const MB = 1024 * 1024;
const FUNCTIONS = 4;
const FUNCTION_PAYLOAD_MB = 45; // each function zip: 45 stored entries of 1 MiB of random bytes
const STATIC_FILES = { count: 16, size: 1 * MB }; // incompressible assets
const TARGET_RSS_MB = 300;
const PREFIX = 'bundles/';

const root = path.resolve(__dirname, '..');
const dataDir = path.join(__dirname, '.data', 'reconcile');

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const BUNDLES = Number(argValue('--bundles', '4'));
const CONCURRENCY = Number(argValue('--concurrency', '4'));
const distDir = path.resolve(argValue('--dist', path.join(root, 'dist')));
const PARAMS = JSON.stringify({ BUNDLES, FUNCTIONS, FUNCTION_PAYLOAD_MB, STATIC_FILES, v: 1 });

const appId = (i) => `bench.app${i}`;
const bundleFile = (i) => path.join(dataDir, `${appId(i)}_1.0.zip`);

function zipTo(file, add) {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  return pipeline(zip.outputStream, fs.createWriteStream(file));
}

async function generate() {
  const paramsFile = path.join(dataDir, 'params.json');
  const fresh =
    !process.argv.includes('--regenerate') &&
    fs.existsSync(paramsFile) &&
    fs.readFileSync(paramsFile, 'utf8') === PARAMS &&
    Array.from({ length: BUNDLES }, (_, i) => fs.existsSync(bundleFile(i))).every(Boolean);
  if (fresh) return;
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
    const manifest = {
      app_id: appId(i),
      version: '1.0',
      display_name: `Bench app ${i}`,
      homepage_url: 'https://example.com/bench',
      app_type: 'aws_lambda',
      aws_lambda: Array.from({ length: FUNCTIONS }, (_, f) => ({
        path: f === 0 ? '/' : `/f${f}`,
        name: `fn${f}`,
        handler: 'index.handler',
        runtime: 'nodejs20.x',
      })),
    };
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

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startMoto() {
  const bin = path.join(root, '.venv-moto', 'bin', 'moto_server');
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run setup:emulator\``);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return { endpoint, child };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  child.kill('SIGKILL');
  throw new Error('moto_server did not start');
}

async function prepareBuckets(endpoint) {
  const { S3Client, CreateBucketCommand } = require('@aws-sdk/client-s3');
  const { Upload } = require('@aws-sdk/lib-storage');
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
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
function runCli(endpoint, args) {
  const rssFile = path.join(os.tmpdir(), `reconcile-bench-rss-${process.pid}-${Date.now()}.txt`);
  const preload = path.join(os.tmpdir(), `reconcile-bench-preload-${process.pid}.js`);
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.tmpdir(),
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    MM_APPS_S3_BUCKET: 'bench-apps',
    MM_APPS_RELEASE_BUCKET: 'bench-releases',
    MM_APPS_RELEASE_PREFIX: PREFIX,
    APPS_DEPLOYER_LOG_LEVEL: 'warn',
    NODE_NO_WARNINGS: '1',
  };
  const nodeArgs = ['-r', preload, path.join(distDir, 'cli', 'main.js'), ...args];
  const hasTime = fs.existsSync('/usr/bin/time');
  const cmd = hasTime ? '/usr/bin/time' : process.execPath;
  const cmdArgs = hasTime ? ['-f', 'TIME_MAXRSS_KB=%M', process.execPath, ...nodeArgs] : nodeArgs;
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, cmdArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const selfKb = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) : NaN;
      fs.rmSync(rssFile, { force: true });
      const timeKb = Number(/TIME_MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
      let report;
      try {
        report = JSON.parse(stdout);
      } catch {
        report = undefined;
      }
      resolve({ code, ms, selfKb, timeKb, report, stderr });
    });
  });
}

const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');

async function main() {
  if (!fs.existsSync(path.join(distDir, 'cli', 'main.js')))
    throw new Error(
      `${distDir}/cli/main.js is missing: run \`npm run build\` (npm run bench:reconcile does)`,
    );
  await generate();
  const sizes = Array.from({ length: BUNDLES }, (_, i) => fs.statSync(bundleFile(i)).size);
  const moto = await startMoto();
  try {
    console.log(`moto server at ${moto.endpoint}; uploading ${BUNDLES} bundles ...`);
    await prepareBuckets(moto.endpoint);
    const first = await runCli(moto.endpoint, ['reconcile', '--json', '--concurrency', String(CONCURRENCY)]);
    const second = await runCli(moto.endpoint, ['reconcile', '--json', '--concurrency', String(CONCURRENCY)]);
    const peakKb = Math.max(first.selfKb, Number.isFinite(first.timeKb) ? first.timeKb : 0);
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
      `  target    : peak RSS <= ${TARGET_RSS_MB} MB → ${peakKb / 1024 <= TARGET_RSS_MB ? 'MET' : 'NOT MET'} (${mb(peakKb)})`,
    ];
    console.log(lines.join('\n'));
    if (first.code !== 0) console.log(`\nfirst run stderr (tail):\n${first.stderr.slice(-3000)}`);
    process.exitCode = first.code === 0 && second.code === 0 && peakKb / 1024 <= TARGET_RSS_MB ? 0 : 1;
  } finally {
    moto.child.kill('SIGTERM');
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
