/**
 * What the bench scripts share: zip writing, a moto server of their own on a free 127.0.0.1 port,
 * and running the built CLI in a child process while measuring its wall time and peak RSS (the
 * child's own process.resourceUsage().maxRSS, written at exit by a preload script, and
 * /usr/bin/time's figure when it is installed).
 */
'use strict';
/* global fetch, setTimeout */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const yazl = require('yazl');

const MB = 1024 * 1024;
const root = path.resolve(__dirname, '..');

// Our SDK versions are locked; its notice that later releases need Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function zipTo(file, add) {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  return pipeline(zip.outputStream, fs.createWriteStream(file));
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

/** Starts .venv-moto's moto_server; resolves { endpoint, child } once it answers. */
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

/** An S3 client for the bench's own setup (buckets, release uploads). */
function benchS3(endpoint) {
  const { S3Client } = require('@aws-sdk/client-s3');
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

/** The node flags on the built CLI's first line (`#!/usr/bin/env -S node FLAGS`: V8's heap, src/cli/main.ts). */
function shippedNodeFlags(distDir) {
  const first = fs.readFileSync(path.join(distDir, 'cli', 'main.js'), 'utf8').split('\n', 1)[0];
  return (/^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(first)?.[1] ?? '').split(/\s+/).filter(Boolean);
}

/**
 * The node command line of the CLI as its bin runs it: main.js's flags (`shippedNodeFlags`),
 * `extraFlags`, main.js, `args`. Spelled out rather than executing main.js, so that a dist built
 * before the flags (`--dist`) runs too. `shipped: false` leaves main.js's flags out (V8 sized from the
 * host: what the flags change).
 */
function cliCommand(distDir, args, extraFlags = [], { shipped = true } = {}) {
  const main = path.join(distDir, 'cli', 'main.js');
  return [...(shipped ? shippedNodeFlags(distDir) : []), ...extraFlags, main, ...args];
}

/**
 * Runs the CLI (`cliCommand`: node with main.js's flags) with `args` in a child with `env` (plus PATH/HOME and emulator
 * settings); resolves { code, ms, selfKb, timeKb, stdout, stderr }.
 */
function runCliMeasured({
  distDir,
  endpoint,
  args,
  env: extraEnv,
  tag,
  nodeFlags = [],
  shippedFlags = true,
}) {
  const rssFile = path.join(os.tmpdir(), `${tag}-bench-rss-${process.pid}-${Date.now()}.txt`);
  const preload = path.join(os.tmpdir(), `${tag}-bench-preload-${process.pid}.js`);
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.tmpdir(),
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_NO_WARNINGS: '1',
    ...extraEnv,
  };
  const nodeArgs = cliCommand(distDir, args, [...nodeFlags, '-r', preload], { shipped: shippedFlags });
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
      resolve({ code, ms, selfKb, timeKb, stdout, stderr });
    });
  });
}

const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');

const parseJson = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Peak RSS (kB) of a measured run: the larger of the child's own figure and /usr/bin/time's. */
const peakKbOf = (run) => Math.max(run.selfKb, Number.isFinite(run.timeKb) ? run.timeKb : 0);

/**
 * Prints the report lines and the target verdict; the exit code is 0 only when both runs succeeded and
 * the first one's peak RSS met the target.
 */
function reportVerdict(lines, first, second, targetMb) {
  const peakKb = peakKbOf(first);
  const met = peakKb / 1024 <= targetMb;
  console.log(
    [...lines, `  target    : peak RSS <= ${targetMb} MB → ${met ? 'MET' : 'NOT MET'} (${mb(peakKb)})`].join(
      '\n',
    ),
  );
  if (first.code !== 0) console.log(`\nfirst run stderr (tail):\n${first.stderr.slice(-3000)}`);
  process.exitCode = first.code === 0 && second.code === 0 && met ? 0 : 1;
}

module.exports = {
  MB,
  root,
  zipTo,
  freePort,
  startMoto,
  benchS3,
  shippedNodeFlags,
  cliCommand,
  runCliMeasured,
  mb,
  parseJson,
  peakKbOf,
  reportVerdict,
};

// ---------------------------------------------------------------- what the benches' preambles share

/** The value after `name` on the command line (a non-empty one), or `fallback`. */
const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};

/** The build a bench measures: `--dist DIR`, by default this checkout's dist/. */
const distDirArg = () => path.resolve(argValue('--dist', path.join(root, 'dist')));

/** A build given as `name DIR` (e.g. `--before DIR`, the code before a change), or undefined. */
const optionalDirArg = (name) => (process.argv.includes(name) ? path.resolve(argValue(name, '')) : undefined);

/** BENCH_SMALL=1 (CI): the small variant of a bench. */
const SMALL = process.env.BENCH_SMALL === '1';

/** The first line of a bench's output: node, CPUs, and BENCH_SMALL when set. */
const benchHeading = (name) =>
  `${name} bench: node ${process.version}, ${os.cpus().length} CPUs${SMALL ? ' (BENCH_SMALL)' : ''}`;

/** Throws unless `distDir` holds the built CLI, naming the npm script that builds and runs the bench. */
function assertBuilt(distDir, script) {
  if (!fs.existsSync(path.join(distDir, 'cli', 'main.js')))
    throw new Error(`${distDir}/cli/main.js is missing: run \`npm run build\` (npm run ${script} does)`);
}

/** Runs a bench's main(): an error is printed, and the exit code is 1. */
function runMain(main) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

/** The generated inputs kept under bench/.data can be reused: no --regenerate, the parameters they
 * were made with (`paramsFile`) are `params`, and every one of `files` is there. */
const keptDataFresh = (paramsFile, params, files) =>
  !process.argv.includes('--regenerate') &&
  fs.existsSync(paramsFile) &&
  fs.readFileSync(paramsFile, 'utf8') === params &&
  files.every((f) => fs.existsSync(f));

/** The manifest of a generated bench bundle: `functions` functions fn0, fn1, … (fn0 at /). */
const benchManifest = ({ appId, version, displayName, functions }) => ({
  app_id: appId,
  version,
  display_name: displayName,
  homepage_url: 'https://example.com/bench',
  app_type: 'aws_lambda',
  aws_lambda: Array.from({ length: functions }, (_, f) => ({
    path: f === 0 ? '/' : `/f${f}`,
    name: `fn${f}`,
    handler: 'index.handler',
    runtime: 'nodejs24.x',
  })),
});

Object.assign(module.exports, {
  argValue,
  distDirArg,
  optionalDirArg,
  SMALL,
  benchHeading,
  assertBuilt,
  runMain,
  keptDataFresh,
  benchManifest,
});
