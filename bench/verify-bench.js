#!/usr/bin/env node
/**
 * Bench of `verify` over a fleet: N provisioned versions of 2 functions each (default 1,000; BENCH_SMALL=1:
 * 100), seeded straight into a moto server started here as provisioning leaves them (functions with
 * their tags and settings, one asset with its sha256 metadata, the manifest with its bundle and body
 * hashes, the version record). Then, in a child process through the request-recording proxy
 * (bench/fleet.js):
 *   - `verify --json` on the healthy fleet: exit code, wall time, peak RSS, requests by operation, and
 *     the Lambda calls in the shared control-plane pool (target: 0; verify only reads, with GetFunction,
 *     which has its own pool);
 *   - the same after deleting DRIFTED functions by hand: exit 1 and each one named.
 * It prints figures; it is not a test. Timings are noisy on a shared machine.
 *
 * Usage: npm run bench:verify [-- --versions 1000 --dist DIR]
 */
'use strict';
const crypto = require('node:crypto');
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const {
  startMoto,
  runCliMeasured,
  parseJson,
  peakKbOf,
  mb,
  zipTo,
  argValue,
  distDirArg,
  SMALL,
  benchHeading,
  assertBuilt,
  runMain,
} = require('./lib');
const { startProxy, requestsByOperation, inParallel, createBuckets } = require('./fleet');

const N = Number(argValue('--versions', SMALL ? '100' : '1000'));
const DRIFTED = 10;
const dist = distDirArg();
const ROLE = 'bench-verify-exec-role';
const ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  MM_APPS_S3_BUCKET: 'verify-apps',
  MM_APPS_RELEASE_BUCKET: 'verify-releases',
  MM_APPS_RELEASE_PREFIX: 'bundles/',
  APPS_DEPLOYER_EXECUTE_ROLE: ROLE,
  APPS_DEPLOYER_LAMBDA_TIMEOUT: '120',
  APPS_DEPLOYER_LAMBDA_MEMORY: '256',
  APPS_DEPLOYER_LOG_LEVEL: 'warn',
};
const client = (Ctor, endpoint) =>
  new Ctor({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    ...(Ctor.name === 'S3Client' ? { forcePathStyle: true } : {}),
  });
const sha256 = (b, enc = 'hex') => crypto.createHash('sha256').update(b).digest(enc);
const lambdaName = (appId, fn) => `${appId.replace(/\./g, '-')}_1-0-0_${fn}`;

/** Seeds n versions as provisioning leaves them; returns the seconds it took. */
async function seed(endpoint, n) {
  const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
  const { LambdaClient, CreateFunctionCommand } = require('@aws-sdk/client-lambda');
  const { IAMClient, CreateRoleCommand } = require('@aws-sdk/client-iam');
  const s3 = client(S3Client, endpoint);
  const lambda = client(LambdaClient, endpoint);
  const iam = client(IAMClient, endpoint);
  const trust = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  };
  const role = (
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: JSON.stringify(trust) }))
  ).Role.Arn;
  const zipFile = path.join(os.tmpdir(), `verify-bench-fn-${process.pid}.zip`);
  await zipTo(zipFile, (z) => z.addBuffer(Buffer.from('exports.handler = async () => 1;\n'), 'index.js'));
  const zip = fs.readFileSync(zipFile);
  fs.rmSync(zipFile, { force: true });
  const codeSha256 = sha256(zip, 'base64');
  const asset = Buffer.from('hello');
  const t0 = Date.now();
  await inParallel(n, 16, async (i) => {
    const appId = `bench.v${i}`;
    const bundleSha = sha256(`bundle ${i}`);
    const fns = ['fn0', 'fn1'].map((name) => ({
      name,
      path: `/${name}`,
      handler: 'index.handler',
      runtime: 'nodejs22.x',
    }));
    const body = JSON.stringify({
      app_id: appId,
      version: '1.0.0',
      display_name: appId,
      aws_lambda: { functions: fns },
    });
    const assetKey = `static/${appId}_1.0.0_app/readme.txt`;
    for (const f of fns)
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: lambdaName(appId, f.name),
          Runtime: f.runtime,
          Handler: f.handler,
          Role: role,
          Timeout: 120,
          MemorySize: 256,
          Code: { ZipFile: zip },
          Architectures: ['x86_64'],
          Tags: {
            'mattermost-apps-managed-by': 'apps-deployer',
            'mattermost-app-id': appId,
            'mattermost-app-version': '1.0.0',
            'mattermost-app-bundle-sha256': bundleSha,
          },
        }),
      );
    const put = (Key, Body, extra = {}) =>
      s3.send(new PutObjectCommand({ Bucket: ENV.MM_APPS_S3_BUCKET, Key, Body, ...extra }));
    await put(assetKey, asset, { ContentType: 'text/plain', Metadata: { sha256: sha256(asset) } });
    const record = {
      recordVersion: 1,
      appId,
      version: '1.0.0',
      bundleSha256: bundleSha,
      manifestSha256: sha256(body),
      functions: fns.map((f) => ({
        name: f.name,
        lambdaName: lambdaName(appId, f.name),
        handler: f.handler,
        runtime: f.runtime,
        codeSha256,
      })),
      assets: [{ key: assetKey, sha256Hex: sha256(asset), contentType: 'text/plain' }],
    };
    await put(`deployer/versions/${appId}_1.0.0.json`, JSON.stringify(record));
    await put(`manifests/${appId}_1.0.0.json`, body, {
      ContentType: 'application/json',
      Metadata: { 'bundle-sha256': bundleSha, 'manifest-sha256': sha256(body), 'run-id': 'bench' },
    });
  });
  for (const c of [s3, lambda, iam]) c.destroy();
  return (Date.now() - t0) / 1000;
}

async function deleteSome(endpoint, count) {
  const { LambdaClient, DeleteFunctionCommand } = require('@aws-sdk/client-lambda');
  const lambda = client(LambdaClient, endpoint);
  for (let i = 0; i < count; i++)
    await lambda.send(new DeleteFunctionCommand({ FunctionName: lambdaName(`bench.v${i}`, 'fn1') }));
  lambda.destroy();
}

async function verifyRun(proxy, args) {
  proxy.reset();
  const run = await runCliMeasured({ distDir: dist, endpoint: proxy.url, tag: 'verify', args, env: ENV });
  const shared = proxy.log.filter((e) => e.pool === 'shared').length;
  return { ...run, requests: requestsByOperation(proxy.log), shared, report: parseJson(run.stdout) };
}

function line(name, r) {
  const d = r.report;
  return (
    `  ${name}: exit ${r.code}, ${(r.ms / 1000).toFixed(2)} s, peak RSS ${mb(peakKbOf(r))}, ` +
    `${d?.versions} versions / ${d?.functions} functions / ${d?.assets} assets, drift ${d?.drift?.length}\n` +
    `    requests ${JSON.stringify(r.requests)}\n` +
    `    shared-pool Lambda calls: ${r.shared} (target 0)`
  );
}

async function main() {
  assertBuilt(dist, 'bench:verify');
  console.log(benchHeading('verify'));
  const moto = await startMoto();
  const proxy = await startProxy(moto.endpoint, 0);
  try {
    await createBuckets(moto.endpoint, [ENV.MM_APPS_S3_BUCKET, ENV.MM_APPS_RELEASE_BUCKET]);
    const seeded = await seed(moto.endpoint, N);
    console.log(
      `${N} versions (${2 * N} functions, ${N} assets) seeded in ${seeded.toFixed(1)} s (moto at ${moto.endpoint})`,
    );
    const clean = await verifyRun(proxy, ['verify', '--json']);
    console.log(line('verify (healthy fleet)', clean));
    if (clean.code !== 0)
      console.log(clean.stderr.slice(-2000), JSON.stringify(clean.report?.drift?.slice(0, 3)));
    await deleteSome(moto.endpoint, DRIFTED);
    const drifted = await verifyRun(proxy, ['verify', '--json']);
    console.log(line(`verify (${DRIFTED} functions deleted)`, drifted));
    const named = (drifted.report?.drift ?? []).filter((d) => d.kind === 'function-missing').length;
    console.log(`    functions named missing: ${named} of ${DRIFTED}`);
    process.exitCode =
      clean.code === 0 && clean.shared === 0 && drifted.code === 1 && named === DRIFTED ? 0 : 1;
  } finally {
    await proxy.close();
    moto.child.kill('SIGTERM');
  }
}

runMain(main);
