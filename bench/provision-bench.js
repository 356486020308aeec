#!/usr/bin/env node
/**
 * Bench of `apps-deployer provision`: peak RSS of the built CLI (`node dist/cli/main.js provision`, a
 * child process) provisioning one bundle of 4 function zips of ~45 MB (incompressible) and 100 MB of
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
const STATIC_LARGE = { count: 6, size: 15 * MB }; // media: multipart uploads (part size 8 MiB)
const STATIC_SMALL = { count: 40, size: 256 * 1024 }; // scripts, images, ...
const TARGET_RSS_MB = 250;
const APP_ID = 'bench.provision';
const VERSION = '1.0';

const root = path.resolve(__dirname, '..');
const dataDir = path.join(__dirname, '.data', 'provision');
const bundleFile = path.join(dataDir, `${APP_ID}_${VERSION}.zip`);

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const distDir = path.resolve(argValue('--dist', path.join(root, 'dist')));
const PARAMS = JSON.stringify({ FUNCTIONS, FUNCTION_PAYLOAD_MB, STATIC_LARGE, STATIC_SMALL, v: 1 });

function zipTo(file, add) {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  return pipeline(zip.outputStream, fs.createWriteStream(file));
}

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
  const fresh =
    !process.argv.includes('--regenerate') &&
    fs.existsSync(paramsFile) &&
    fs.readFileSync(paramsFile, 'utf8') === PARAMS &&
    fs.existsSync(bundleFile);
  if (fresh) return;
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
  const manifest = {
    app_id: APP_ID,
    version: VERSION,
    display_name: 'Provision bench',
    homepage_url: 'https://example.com/bench',
    app_type: 'aws_lambda',
    aws_lambda: Array.from({ length: FUNCTIONS }, (_, f) => ({
      path: f === 0 ? '/' : `/f${f}`,
      name: `fn${f}`,
      handler: 'index.handler',
      runtime: 'nodejs20.x',
    })),
  };
  await zipTo(bundleFile, (zip) => {
    zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), 'manifest.json');
    fnFiles.forEach((file, f) => zip.addFile(file, `fn${f}.zip`, { compress: false }));
    for (const [file, name] of statics) zip.addFile(file, name, { compress: false });
  });
  for (const file of tmp) fs.rmSync(file);
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

async function createBucket(endpoint, Bucket) {
  const { S3Client, CreateBucketCommand } = require('@aws-sdk/client-s3');
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await s3.send(new CreateBucketCommand({ Bucket }));
  s3.destroy();
}

/** Runs `provision` in a child process; returns exit code, wall time, result, requests and peak RSS. */
function runProvision(endpoint) {
  const rssFile = path.join(os.tmpdir(), `provision-bench-rss-${process.pid}-${Date.now()}.txt`);
  const preload = path.join(os.tmpdir(), `provision-bench-preload-${process.pid}.js`);
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.tmpdir(),
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    APPS_PROVISION_AWS_ACCESS_KEY: 'testing',
    APPS_PROVISION_AWS_SECRET_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    MM_APPS_S3_BUCKET: 'bench-provision-apps',
    APPS_DEPLOYER_LOG_LEVEL: 'info',
    NODE_NO_WARNINGS: '1',
  };
  const nodeArgs = ['-r', preload, path.join(distDir, 'cli', 'main.js'), 'provision', bundleFile, '--json'];
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
      let result;
      try {
        result = JSON.parse(stdout);
      } catch {
        result = undefined;
      }
      // the CLI logs the request counts in its last info line
      const finished = stderr
        .split('\n')
        .filter((l) => l.startsWith('{') && l.includes('provision finished'))
        .map((l) => JSON.parse(l))[0];
      resolve({ code, ms, selfKb, timeKb, result, requests: finished?.requests, stderr });
    });
  });
}

const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');
const outcomes = (items) =>
  items ? Object.entries(items.reduce((a, i) => ({ ...a, [i.outcome]: (a[i.outcome] ?? 0) + 1 }), {})) : [];

async function main() {
  if (!fs.existsSync(path.join(distDir, 'cli', 'main.js')))
    throw new Error(
      `${distDir}/cli/main.js is missing: run \`npm run build\` (npm run bench:provision does)`,
    );
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
    const peakKb = Math.max(first.selfKb, Number.isFinite(first.timeKb) ? first.timeKb : 0);
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
