/**
 * What the fleet benches share (pools-bench.js, fleet-bench.js): a small HTTP proxy between the CLI's
 * SDK clients and moto that can add latency to every request and records each request (time, service,
 * Lambda operation, bytes of the request body); small two-function bundles; seeding thousands of
 * provisioned versions (release object, manifest, marker) straight into moto with the SDK.
 */
'use strict';
/* global setTimeout, URL */
const http = require('node:http');
const yazl = require('yazl');
const { benchS3 } = require('./lib');

function zipBuffer(entries) {
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) zip.addBuffer(Buffer.from(data), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks = [];
    zip.outputStream.on('data', (c) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** A bundle of 2 small functions; every bundle's code differs (its index.js names the app). */
async function smallBundle(appId) {
  const fn = (f) =>
    zipBuffer([['index.js', `exports.handler = async () => ({ body: '${appId} fn${f}' });\n`]]);
  const manifest = {
    app_id: appId,
    version: '1.0.0',
    display_name: `Pools bench ${appId}`,
    homepage_url: 'https://example.com/bench',
    app_type: 'aws_lambda',
    aws_lambda: [0, 1].map((f) => ({
      path: f === 0 ? '/' : `/f${f}`,
      name: `fn${f}`,
      handler: 'index.handler',
      runtime: 'nodejs24.x',
    })),
  };
  return zipBuffer([
    ['manifest.json', JSON.stringify(manifest, null, 2)],
    ['fn0.zip', await fn(0)],
    ['fn1.zip', await fn(1)],
  ]);
}

/** Lambda operation from a REST request (the paths the SDK sends). */
function lambdaOperation(method, url) {
  const p = url.split('?')[0];
  if (/^\/2015-03-31\/functions\/?$/.test(p)) return method === 'POST' ? 'CreateFunction' : 'ListFunctions';
  if (/^\/2015-03-31\/functions\/[^/]+\/?$/.test(p))
    return method === 'GET' ? 'GetFunction' : method === 'DELETE' ? 'DeleteFunction' : 'Other';
  if (/\/configuration\/?$/.test(p))
    return method === 'PUT' ? 'UpdateFunctionConfiguration' : 'GetFunctionConfiguration';
  if (/\/code\/?$/.test(p)) return 'UpdateFunctionCode';
  if (/\/policy\/?$/.test(p)) return method === 'GET' ? 'GetPolicy' : 'Other';
  if (/^\/2017-03-31\/tags\//.test(p))
    return method === 'POST' ? 'TagResource' : method === 'DELETE' ? 'UntagResource' : 'ListTags';
  return 'Other';
}

/** The pool AWS counts a Lambda operation in (Lambda quotas). */
const lambdaPool = (op) =>
  op === 'GetFunction'
    ? 'getFunction'
    : op === 'GetPolicy'
      ? 'getPolicy'
      : op === 'Invoke'
        ? 'invoke'
        : 'shared';

/**
 * Starts the proxy in front of `target` (moto's URL); every request waits `latencyMs` before it is
 * forwarded. Resolves { url, log, reset(), close() }: log entries { t, service, op, pool, bytes }.
 */
async function startProxy(target, latencyMs = 0) {
  const to = new URL(target);
  const log = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const t = Date.now();
    const service =
      /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '?';
    const entry = { t, service, method: req.method, op: undefined, pool: undefined, bytes: 0 };
    if (service === 'lambda') {
      entry.op = lambdaOperation(req.method, req.url);
      entry.pool = lambdaPool(entry.op);
    }
    log.push(entry);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      entry.bytes = body.length;
      setTimeout(() => {
        const up = http.request(
          {
            host: to.hostname,
            port: to.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
            agent,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        up.end(body);
      }, latencyMs);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    reset: () => void log.splice(0, log.length),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Calls of the shared control-plane pool and the rate they achieved while there was work (first to
 * last call); `sustained` leaves out the first `burst` calls, which a full token bucket lets through
 * at once.
 */
function sharedPoolRate(log, burst = 15) {
  const shared = log.filter((e) => e.pool === 'shared').map((e) => e.t);
  if (shared.length < 2) return { calls: shared.length, rate: NaN, sustained: NaN, spanS: 0 };
  const spanS = (shared[shared.length - 1] - shared[0]) / 1000;
  const after = shared.slice(burst);
  const sustained =
    after.length >= 2 ? (after.length - 1) / ((after[after.length - 1] - after[0]) / 1000) : NaN;
  return { calls: shared.length, rate: (shared.length - 1) / spanS, sustained, spanS };
}

/** Requests by "service.op" (S3 by method, Lambda by operation). */
function requestsByOperation(log) {
  const out = {};
  for (const e of log) {
    const k = e.service === 'lambda' ? `lambda.${e.op}` : `${e.service}.${e.method}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Bytes of request bodies sent to S3 by PUT/POST (what a run writes). */
const s3BytesWritten = (log) =>
  log
    .filter((e) => e.service === 's3' && (e.method === 'PUT' || e.method === 'POST'))
    .reduce((a, e) => a + e.bytes, 0);

/** `fn` over 0..n-1, `width` at a time. */
async function inParallel(n, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/**
 * Seeds `n` provisioned versions: release object, manifest and marker each, as a reconcile leaves
 * them (the marker key carries the stem and the release object's ETag), and, with `settingsKey`
 * (app id → its settings-fingerprint marker key), the fingerprint a converged app has, so that the
 * plan does not converge the settings of every seeded app (it would download each release object).
 * In bounded parallel batches.
 */
async function seedProvisioned(
  endpoint,
  { appsBucket, releaseBucket, prefix, n, appId, settingsKey, width = 32 },
) {
  const { PutObjectCommand } = require('@aws-sdk/client-s3');
  const s3 = benchS3(endpoint);
  const body = Buffer.from('a release object that the plan never downloads');
  await inParallel(n, width, async (i) => {
    const stem = `${appId(i)}_1.0.0`;
    const rel = await s3.send(
      new PutObjectCommand({ Bucket: releaseBucket, Key: `${prefix}${stem}.zip`, Body: body }),
    );
    const etag = (rel.ETag ?? '').replace(/"/g, '');
    await s3.send(new PutObjectCommand({ Bucket: appsBucket, Key: `manifests/${stem}.json`, Body: '{}' }));
    await s3.send(
      new PutObjectCommand({
        Bucket: appsBucket,
        Key: `deployer/seen/${stem}/${encodeURIComponent(etag)}/provisioned-v1`,
        Body: '{}',
      }),
    );
    const fingerprint = settingsKey?.(appId(i));
    if (fingerprint)
      await s3.send(new PutObjectCommand({ Bucket: appsBucket, Key: fingerprint, Body: '{}' }));
  });
  s3.destroy();
}

async function createBuckets(endpoint, buckets) {
  const { CreateBucketCommand } = require('@aws-sdk/client-s3');
  const s3 = benchS3(endpoint);
  for (const Bucket of buckets) await s3.send(new CreateBucketCommand({ Bucket }));
  s3.destroy();
}

module.exports = {
  zipBuffer,
  smallBundle,
  lambdaOperation,
  startProxy,
  sharedPoolRate,
  requestsByOperation,
  s3BytesWritten,
  inParallel,
  seedProvisioned,
  createBuckets,
};
