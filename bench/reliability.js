/**
 * What the reliability suites share (bench/fault-suite.js, bench/crash-suite.js): a fleet of small
 * bundles (2 functions and 1 static asset each, every one with its own code), the built CLI as a
 * subprocess that can be killed, and the checks run after every reconcile — independently of the
 * deployer's modules (names and hashes computed here, read with raw SDK clients straight from moto,
 * not through the fault proxy):
 *  - I1: a manifest exists ⇒ every function exists with the bundle's CodeSha256 and the four tags, and
 *    every static asset exists with its sha256 (DESIGN.md "Commit order");
 *  - nothing duplicated or stray: manifests, functions, assets and staged code only for bundles of the
 *    fleet, at most one marker per bundle, none of them `failed`/`rejected`/`conflict`/`collision`
 *    (faults and crashes are transient: "nothing marked"), no multipart upload left open;
 *  - the lock (deployer/lock) present or not.
 */
'use strict';
const { spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const { root, benchS3, cliCommand } = require('./lib');
const { zipBuffer } = require('./fleet');

const PREFIX = 'bundles/';
const APPS_BUCKET = 'rel-apps';
const RELEASE_BUCKET = 'rel-releases';
/** DESIGN.md "Exit codes" */
const DOCUMENTED_EXITS = new Set([0, 1, 2, 3, 4, 143]);
const BAD_OUTCOMES = new Set(['failed', 'rejected', 'conflict', 'collision']);

const sha256 = (b, enc) => createHash('sha256').update(b).digest(enc);
const sanitize = (s) => s.replace(/\./g, '-');

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};

/** One bundle: { appId, version, key, bytes, sha256Hex, functions: [{ name, lambdaName, codeSha256 }], assets: [{ key, sha256 }] } */
async function makeBundle(appId, version = '1.0.0') {
  const fnNames = ['fn0', 'fn1'];
  const functions = [];
  const entries = [];
  for (const [i, name] of fnNames.entries()) {
    const zip = await zipBuffer([
      ['index.js', `exports.handler = async () => ({ body: '${appId} ${version} ${name}' });\n`],
    ]);
    entries.push([`${name}.zip`, zip]);
    functions.push({
      name,
      path: i === 0 ? '/' : `/f${i}`,
      lambdaName: `${sanitize(appId)}_${sanitize(version)}_${name}`,
      codeSha256: sha256(zip, 'base64'),
    });
  }
  const icon = Buffer.from(`89504e470d0a1a0a${sha256(appId, 'hex').slice(0, 16)}`, 'hex');
  const manifest = {
    app_id: appId,
    version,
    display_name: `Reliability ${appId}`,
    homepage_url: 'https://example.com/reliability',
    app_type: 'aws_lambda',
    icon: 'icon.png',
    aws_lambda: functions.map((f) => ({
      path: f.path,
      name: f.name,
      handler: 'index.handler',
      runtime: 'nodejs24.x',
    })),
  };
  const bytes = await zipBuffer([
    ['manifest.json', JSON.stringify(manifest, null, 2)],
    ...entries,
    ['static/icon.png', icon],
  ]);
  return {
    appId,
    version,
    key: `${PREFIX}${appId}_${version}.zip`,
    manifestKey: `manifests/${appId}_${version}.json`,
    stem: `${appId}_${version}`,
    bytes,
    sha256Hex: sha256(bytes, 'hex'),
    functions,
    assets: [{ key: `static/${appId}_${version}_app/icon.png`, sha256: sha256(icon, 'hex') }],
  };
}

/** Creates the two buckets and uploads `bundles` to the release bucket, straight to moto. */
async function seedFleet(endpoint, bundles) {
  const { CreateBucketCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
  const s3 = benchS3(endpoint);
  for (const Bucket of [APPS_BUCKET, RELEASE_BUCKET]) {
    await s3.send(new CreateBucketCommand({ Bucket })).catch((err) => {
      if (err?.name !== 'BucketAlreadyOwnedByYou') throw err;
    });
  }
  for (const b of bundles)
    await s3.send(new PutObjectCommand({ Bucket: RELEASE_BUCKET, Key: b.key, Body: b.bytes }));
  s3.destroy();
}

/** The CLI's environment (the endpoint is the fault proxy). */
function cliEnv(endpoint, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? '/tmp',
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NODE_NO_WARNINGS: '1',
    MM_APPS_S3_BUCKET: APPS_BUCKET,
    MM_APPS_RELEASE_BUCKET: RELEASE_BUCKET,
    MM_APPS_RELEASE_PREFIX: PREFIX,
    APPS_DEPLOYER_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/**
 * Starts the CLI as its bin runs it (`cliCommand`) with `args`; returns { child, done } where done resolves
 * { code, signal, ms, stdout, stderr }.
 */
function startCli(distDir, args, env) {
  const t0 = Date.now();
  const child = spawn(process.execPath, cliCommand(distDir, args), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const done = new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, ms: Date.now() - t0, stdout, stderr })),
  );
  return { child, done };
}

async function listKeys(s3, Bucket, Prefix) {
  const { ListObjectsV2Command } = require('@aws-sdk/client-s3');
  const out = [];
  let token;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken: token }));
    out.push(...(res.Contents ?? []).map((o) => o.Key));
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function listFunctionNames(lambda) {
  const { ListFunctionsCommand } = require('@aws-sdk/client-lambda');
  const out = [];
  let Marker;
  do {
    const res = await lambda.send(new ListFunctionsCommand({ Marker }));
    out.push(...(res.Functions ?? []).map((f) => f.FunctionName));
    Marker = res.NextMarker;
  } while (Marker);
  return out;
}

/** Raw clients straight to moto (no faults). */
function checkClients(endpoint) {
  const { LambdaClient } = require('@aws-sdk/client-lambda');
  return {
    s3: benchS3(endpoint),
    lambda: new LambdaClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    }),
    destroy() {
      this.s3.destroy();
      this.lambda.destroy();
    },
  };
}

/**
 * The state after a run, checked against `fleet` (every bundle uploaded so far). Returns
 * { manifests, i1: [violations], dup: [violations], lost: [data lost], lock: boolean, markers }.
 * `published`: manifest keys seen by earlier checks (updated here), so a manifest that disappears counts
 * as data lost.
 */
async function checkState(clients, fleet, published = new Set()) {
  const { HeadObjectCommand, ListMultipartUploadsCommand } = require('@aws-sdk/client-s3');
  const { GetFunctionCommand } = require('@aws-sdk/client-lambda');
  const { s3, lambda } = clients;
  const byManifest = new Map(fleet.map((b) => [b.manifestKey, b]));
  const i1 = [];
  const dup = [];
  const manifests = await listKeys(s3, APPS_BUCKET, 'manifests/');
  for (const key of manifests) {
    const b = byManifest.get(key);
    if (!b) {
      dup.push(`stray manifest ${key}`);
      continue;
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: APPS_BUCKET, Key: key }));
    if (head.Metadata?.['bundle-sha256'] !== b.sha256Hex) i1.push(`${key}: bundle-sha256 metadata differs`);
    for (const f of b.functions) {
      const got = await lambda
        .send(new GetFunctionCommand({ FunctionName: f.lambdaName }))
        .catch((err) => ({ missing: err?.name ?? String(err) }));
      if (got.missing) {
        i1.push(`${key}: function ${f.lambdaName} missing (${got.missing})`);
        continue;
      }
      if (got.Configuration?.CodeSha256 !== f.codeSha256)
        i1.push(`${key}: ${f.lambdaName} CodeSha256 ${got.Configuration?.CodeSha256} ≠ ${f.codeSha256}`);
      const t = got.Tags ?? {};
      if (
        t['mattermost-apps-managed-by'] !== 'apps-deployer' ||
        t['mattermost-app-id'] !== b.appId ||
        t['mattermost-app-version'] !== b.version ||
        t['mattermost-app-bundle-sha256'] !== b.sha256Hex
      )
        i1.push(`${key}: ${f.lambdaName} tags ${JSON.stringify(t)}`);
    }
    for (const a of b.assets) {
      const head2 = await s3
        .send(new HeadObjectCommand({ Bucket: APPS_BUCKET, Key: a.key }))
        .catch((err) => ({ missing: err?.name ?? String(err) }));
      if (head2.missing) i1.push(`${key}: asset ${a.key} missing`);
      else if (head2.Metadata?.sha256 !== a.sha256) i1.push(`${key}: asset ${a.key} sha256 differs`);
    }
  }
  // nothing stray or duplicated
  const names = new Set(fleet.flatMap((b) => b.functions.map((f) => f.lambdaName)));
  for (const n of await listFunctionNames(lambda)) if (!names.has(n)) dup.push(`stray function ${n}`);
  const assets = new Set(fleet.flatMap((b) => b.assets.map((a) => a.key)));
  for (const k of await listKeys(s3, APPS_BUCKET, 'static/'))
    if (!assets.has(k)) dup.push(`stray asset ${k}`);
  const codes = new Set(
    fleet.flatMap((b) =>
      b.functions.map((f) => `deployer/code/${Buffer.from(f.codeSha256, 'base64').toString('hex')}.zip`),
    ),
  );
  for (const k of await listKeys(s3, APPS_BUCKET, 'deployer/code/'))
    if (!codes.has(k)) dup.push(`stray staged code ${k}`);
  const markers = await listKeys(s3, APPS_BUCKET, 'deployer/seen/');
  const perStem = new Map();
  for (const k of markers) {
    const [stem, second, outcome] = k.slice('deployer/seen/'.length).split('/');
    // deployer/seen/_settings/<app id>/<fingerprint>: one settings fingerprint per app
    const owner = stem === '_settings' ? `settings of ${decodeURIComponent(second)}` : stem;
    perStem.set(owner, (perStem.get(owner) ?? 0) + 1);
    if (stem !== '_settings' && BAD_OUTCOMES.has(String(outcome).replace(/-v\d+$/, '')))
      dup.push(`transient fault marked permanent: ${k}`);
  }
  for (const [owner, n] of perStem) if (n > 1) dup.push(`${n} markers for ${owner}`);
  const mpu = await s3.send(new ListMultipartUploadsCommand({ Bucket: APPS_BUCKET }));
  for (const u of mpu.Uploads ?? []) dup.push(`multipart upload left open: ${u.Key}`);
  const lock = (await listKeys(s3, APPS_BUCKET, 'deployer/lock')).includes('deployer/lock');
  // data lost: a release object gone, or a manifest published earlier gone
  const lost = [];
  const releases = new Set(await listKeys(s3, RELEASE_BUCKET, PREFIX));
  for (const b of fleet) if (!releases.has(b.key)) lost.push(`release object ${b.key} gone`);
  const now = new Set(manifests);
  for (const k of published) if (!now.has(k)) lost.push(`published manifest ${k} gone`);
  for (const k of manifests) published.add(k);
  return { manifests: manifests.length, i1, dup, lost, lock, markers: markers.length };
}

/** Prints rows (arrays of cells) as an aligned table with a header. */
function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

/** A random seed printed by the suites when none is given. */
const freshSeed = () => Math.floor(Math.random() * 2 ** 31);

module.exports = {
  root,
  PREFIX,
  APPS_BUCKET,
  RELEASE_BUCKET,
  DOCUMENTED_EXITS,
  argValue,
  makeBundle,
  seedFleet,
  cliEnv,
  startCli,
  checkClients,
  checkState,
  printTable,
  freshSeed,
};
