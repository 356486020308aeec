#!/usr/bin/env node
/**
 * V8's heap against the size of the three listings a run holds (release prefix, manifests/,
 * deployer/seen/): how many listed objects fit under the CLI's heap cap (the flags on the built CLI's
 * first line, `shippedNodeFlags`), per command.
 *
 * No emulator: the built code (dist/) is fed by an in-memory double of the narrow S3 port
 * (src/aws/ports.ts S3Port) that answers ListObjectsV2 with pages shaped like the SDK's output (at most
 * MaxKeys = 1,000 objects, Key/ETag/Size/LastModified/StorageClass/Checksum*, continuation tokens),
 * generated page by page so that the double holds nothing. The fleet: N release objects
 * `bundles/<app_id>_<version>.zip` (10 versions per app); the even half provisioned: their manifest
 * `manifests/<stem>.json`, their marker `deployer/seen/<stem>/<etag>/provisioned-v<V>`, and each app's
 * settings fingerprint `deployer/seen/_settings/<app_id>/<fingerprint>` (so they plan up-to-date); the
 * other half never judged (they plan provision). Listed objects in all: N + N/2 + N/2 + N/10.
 *
 * Each (command, N) runs in a child: node with main.js's heap flags and --expose-gc. Commands:
 *  - plan:   listState → buildPlan (as `plan` / `reconcile --dry-run` build it) → the printed plan
 *            (`plan --json`'s JSON.stringify(plan, null, 2), then formatPlan, one after the other);
 *  - status: getStatus (its listings, plan and report) → `status --json`'s JSON, then formatStatus.
 * A child that fails names its last phase, that phase's live heap and its error; the exit code is 1
 * when one fails otherwise than on V8's heap limit (e.g. a RangeError), else 0.
 * `reconcile` holds what `plan` holds up to its plan (the same listAndPlan), then one report per
 * bundle: the plan phase's figures are its floor, not measured here beyond that.
 * "live" = heapUsed after a forced full GC, holding what the command holds at that point (the largest
 * over the phases); "peak heap" = the largest heapUsed sampled (every listed page, every phase end,
 * before the GC); peak RSS = process.resourceUsage().maxRSS.
 *
 * `--shape junk`: the fleet of an uploader alone, N release objects under non-canonical keys
 * (`bundles/upload-<i>.zip`), nothing provisioned, no marker (listed objects = N).
 *
 *   npm run build && node bench/listing-heap-bench.js [--sizes 10000,100000,300000] [--commands plan,status]
 *        [--shape fleet|junk] [--dist DIR] [--host-heap (without main.js's flags: V8 sized from the host)]
 */
'use strict';
/* global setImmediate */
const { spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const path = require('node:path');
const {
  MB,
  argValue,
  assertBuilt,
  benchHeading,
  distDirArg,
  runMain,
  shippedNodeFlags,
  SMALL,
} = require('./lib');

const VERSIONS_PER_APP = 10;
const PAGE = 1000; // S3's MaxKeys ceiling
const WHERE = { appsBucket: 'bench-apps', releaseBucket: 'bench-releases', releasePrefix: 'bundles/' };
const T0 = Date.UTC(2026, 0, 1);

// ------------------------------------------------------------------------- the child: one measurement

const md5 = (s) => createHash('md5').update(s).digest('hex');
const appIdOf = (a) => `com.example.bench-app-${String(a).padStart(6, '0')}`;
/** Release object i (sorted order): app i / 10, version 1.0.<i % 10>. */
const stemOf = (i) => `${appIdOf(Math.floor(i / VERSIONS_PER_APP))}_1.0.${i % VERSIONS_PER_APP}`;

/** The three listings of a fleet of N, as virtual sorted arrays: { count, at(j) → S3 object }. */
function fleetListings(n, markerVersion, fingerprintOf, shape) {
  // flat strings, as the SDK's XML parser gives them (a template literal's result is a tree of
  // concatenations, larger: the listing measured ~300 bytes per object with flat strings, ~450 without;
  // the real SDK parsing synthetic XML pages, ~315 at 100,000)
  const flat = (s) => JSON.parse(JSON.stringify(s));
  const obj = (Key, etag, Size, j) => ({
    Key: flat(Key),
    LastModified: new Date(T0 + j * 1000),
    ETag: flat(`"${etag}"`),
    ChecksumAlgorithm: ['CRC64NVME'],
    ChecksumType: 'FULL_OBJECT',
    Size,
    StorageClass: 'STANDARD',
  });
  const releaseEtag = (i) => md5(`release ${i}`);
  if (shape === 'longjunk' || shape === 'cjkjunk')
    return {
      [`${WHERE.releaseBucket}/${WHERE.releasePrefix}`]: {
        count: n,
        at: (i) =>
          obj(
            shape === 'longjunk'
              ? `${WHERE.releasePrefix}${'x'.repeat(1000)}-${String(i).padStart(7, '0')}.zip`
              : `${WHERE.releasePrefix}${'\u6f22'.repeat(330)}-${String(i).padStart(7, '0')}.zip`,
            releaseEtag(i),
            1000,
            i,
          ),
      },
      [`${WHERE.appsBucket}/manifests/`]: { count: 0, at: () => undefined },
      [`${WHERE.appsBucket}/deployer/seen/`]: { count: 0, at: () => undefined },
    };
  if (shape === 'junk')
    return {
      [`${WHERE.releaseBucket}/${WHERE.releasePrefix}`]: {
        count: n,
        at: (i) =>
          obj(`${WHERE.releasePrefix}upload-${String(i).padStart(7, '0')}.zip`, releaseEtag(i), 1000, i),
      },
      [`${WHERE.appsBucket}/manifests/`]: { count: 0, at: () => undefined },
      [`${WHERE.appsBucket}/deployer/seen/`]: { count: 0, at: () => undefined },
    };
  const provisioned = Math.ceil(n / 2); // release objects 0, 2, 4, …
  const apps = Math.ceil(n / VERSIONS_PER_APP);
  return {
    [`${WHERE.releaseBucket}/${WHERE.releasePrefix}`]: {
      count: n,
      at: (i) =>
        obj(`${WHERE.releasePrefix}${stemOf(i)}.zip`, releaseEtag(i), 2_000_000 + (i % 7919) * 1000, i),
    },
    [`${WHERE.appsBucket}/manifests/`]: {
      count: provisioned,
      at: (j) => obj(`manifests/${stemOf(2 * j)}.json`, md5(`manifest ${j}`), 1800 + (j % 400), j),
    },
    // '_settings/…' sorts before 'com.…': the apps' fingerprints first, then the verdict markers
    [`${WHERE.appsBucket}/deployer/seen/`]: {
      count: apps + provisioned,
      at: (j) =>
        j < apps
          ? obj(fingerprintOf(appIdOf(j)), md5(`fp ${j}`), 120, j)
          : obj(
              `deployer/seen/${stemOf(2 * (j - apps))}/${releaseEtag(2 * (j - apps))}/provisioned-v${markerVersion}`,
              md5(`marker ${j}`),
              420,
              j,
            ),
    },
  };
}

const notFound = (key) =>
  Object.assign(new Error(`NoSuchKey: ${key}`), {
    name: 'NoSuchKey',
    Code: 'NoSuchKey',
    $fault: 'client',
    $metadata: { httpStatusCode: 404, attempts: 1, totalRetryDelay: 0 },
  });

/**
 * The S3 port (src/aws/ports.ts S3Port) over `listings`, read-only. `onPage` runs after each page of
 * the fleet's listings; `onOther` on any other read (status reads the lock, run records, the last
 * verify after its plan: the moment it holds listings, plan and marker index together).
 */
function s3Double(listings, onPage, onOther) {
  let requests = 0;
  const meta = () => ({
    httpStatusCode: 200,
    requestId: `bench-${++requests}`,
    attempts: 1,
    totalRetryDelay: 0,
  });
  const readOnly = async () => {
    throw new Error('the bench S3 double is read-only: a command under measurement tried to write');
  };
  return {
    emulatorEndpoint: undefined,
    async listObjectsV2({ Bucket, Prefix = '', ContinuationToken, MaxKeys }) {
      const listing = listings[`${Bucket}/${Prefix}`];
      if (!listing) onOther();
      const { count, at } = listing ?? { count: 0, at: () => undefined };
      const max = Math.min(MaxKeys ?? PAGE, PAGE);
      const from = ContinuationToken ? Number(Buffer.from(ContinuationToken, 'base64').toString()) : 0;
      const to = Math.min(count, from + max);
      const Contents = [];
      for (let j = from; j < to; j++) Contents.push(at(j));
      const truncated = to < count;
      await new Promise(setImmediate); // a response arrives on a later turn, as the SDK's does
      if (listing) onPage();
      return {
        $metadata: meta(),
        ...(Contents.length > 0 ? { Contents } : {}),
        ...(ContinuationToken ? { ContinuationToken } : {}),
        IsTruncated: truncated,
        KeyCount: Contents.length,
        MaxKeys: max,
        Name: Bucket,
        Prefix,
        ...(truncated ? { NextContinuationToken: Buffer.from(String(to)).toString('base64') } : {}),
      };
    },
    async getObject({ Key }) {
      onOther();
      throw notFound(Key); // the lock, the last verify: none
    },
    async headObject({ Key }) {
      onOther();
      throw notFound(Key);
    },
    putObject: readOnly,
    deleteObject: readOnly,
    upload: readOnly,
  };
}

async function child() {
  const dist = path.resolve(argValue('--dist', ''));
  const n = Number(argValue('--n', '0'));
  const command = argValue('--command', 'plan');
  const shape = argValue('--shape', 'fleet');
  const load = (p) => require(path.join(dist, p));
  const { listState } = load('reconcile/listing.js');
  const { buildPlan } = load('reconcile/plan.js');
  const { VALIDATOR_VERSION } = load('reconcile/types.js');
  const { formatPlan } = load('reconcile/observers/format.js');
  const { getStatus, formatStatus } = load('status/index.js');
  const { loadConfig } = load('config.js');
  const { effectiveSettings } = load('settings/effective.js');
  const { settingsFingerprint, settingsMarkerKey } = load('settings/fingerprint.js');
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    MM_APPS_S3_BUCKET: WHERE.appsBucket,
    MM_APPS_RELEASE_BUCKET: WHERE.releaseBucket,
    MM_APPS_RELEASE_PREFIX: WHERE.releasePrefix,
  });
  const fingerprintOf = (appId) => settingsFingerprint(effectiveSettings(config, appId));

  let peakUsed = 0;
  const sample = () => (peakUsed = Math.max(peakUsed, process.memoryUsage().heapUsed));
  /** heapUsed after a full GC (what is live), once the peak so far is sampled. */
  const live = () => {
    sample();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  /** Records a phase's live heap, and names it on stderr (an abort then says how far it got). */
  const phase = (name, bytes) => {
    process.stderr.write(`PHASE ${name} ${bytes}\n`);
    return bytes;
  };
  const phases = {};
  const inside = 'inside getStatus (listings, plan, index)';
  const s3 = s3Double(
    fleetListings(n, VALIDATOR_VERSION, (appId) => settingsMarkerKey(appId, fingerprintOf(appId)), shape),
    sample,
    () => (phases[inside] = Math.max(phases[inside] ?? 0, phase(inside, live()))),
  );
  const started = process.hrtime.bigint();
  phases.baseline = phase('baseline', live());
  let held; // what the command holds at the phase measured
  let counts;
  if (command === 'plan') {
    const listings = await listState(s3, WHERE);
    phases.listed = phase('listed', live());
    const plan = buildPlan({
      runId: 'bench',
      createdAt: new Date(),
      location: WHERE,
      listings,
      settingsFingerprint: fingerprintOf,
    });
    held = [listings, plan];
    phases.planned = phase('planned', live());
    counts = plan.counts;
    held = [plan, JSON.stringify(plan, null, 2)]; // `plan`: the listings are dropped once planned
    phases['plan --json printed'] = phase('plan --json printed', live());
    held = [plan, formatPlan(plan)];
    phases['plan printed'] = phase('plan printed', live());
  } else {
    const report = await getStatus(s3, WHERE, { now: new Date() });
    phases.reported = phase('reported', live());
    counts = {
      pending: report.pending.length,
      provisioned: report.provisioned.length,
      upToDate: report.upToDate,
    };
    held = [report, JSON.stringify(report, null, 2)];
    phases['status --json printed'] = phase('status --json printed', live());
    held = [report, formatStatus(report)];
    phases['status printed'] = phase('status printed', live());
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const outputChars = held[1].length;
  held = undefined;
  const { baseline, ...rest } = phases;
  process.stdout.write(
    `${JSON.stringify({
      n,
      command,
      baseline,
      live: Math.max(...Object.values(rest)),
      phases: rest,
      peakUsed,
      peakRssKb: process.resourceUsage().maxRSS,
      heapLimit: require('node:v8').getHeapStatistics().heap_size_limit,
      ms,
      outputChars,
      counts,
    })}\n`,
  );
}

// ------------------------------------------------------------------------------- the parent: the table

function measure(dist, command, n, hostHeap, shape) {
  const flags = [...(hostHeap ? [] : shippedNodeFlags(dist)), '--expose-gc'];
  const args = [
    ...flags,
    path.join(__dirname, 'listing-heap-bench.js'),
    '--child',
    '--dist',
    dist,
    '--command',
    command,
    '--n',
    String(n),
    '--shape',
    shape,
  ];
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve({ ...JSON.parse(line), wallMs });
      else
        resolve({
          n,
          command,
          failed: true,
          outOfHeap: HEAP_LIMIT_RE.test(stderr),
          after: [...stderr.matchAll(/^PHASE (.*) (\d+)$/gm)]
            .map((m) => `${m[1]}" (live ${mbOf(Number(m[2]))})`)
            .pop(),
          error: /^(RangeError|TypeError|Error)[^\n]*/m.exec(stderr)?.[0],
          code,
          signal,
          wallMs,
          stderr: stderr.slice(-1500),
        });
    });
  });
}

const HEAP_LIMIT_RE = /Reached heap limit|heap out of memory/;
const mbOf = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
const SHAPE = argValue('--shape', 'fleet');
const listedOf = (n) => (SHAPE !== 'fleet' ? n : n + 2 * Math.ceil(n / 2) + Math.ceil(n / VERSIONS_PER_APP));

function rowOf(r) {
  if (r.failed) {
    const why =
      `${r.outOfHeap ? 'V8 aborted: heap limit reached' : `${r.error ?? `exit ${r.code ?? r.signal}`}`}` +
      `${r.after ? ` after "${r.after}` : ''}`;
    return `| ${r.command} | ${r.n.toLocaleString('en')} | ${listedOf(r.n).toLocaleString('en')} | **${why}** | | | ${(r.wallMs / 1000).toFixed(1)} s |`;
  }
  const worst = Object.entries(r.phases).sort((a, b) => b[1] - a[1])[0][0];
  return (
    `| ${r.command} | ${r.n.toLocaleString('en')} | ${listedOf(r.n).toLocaleString('en')} | ${mbOf(r.live)} (${worst}) | ` +
    `${mbOf(r.peakUsed)} | ${mbOf(r.peakRssKb * 1024)} | ${(r.wallMs / 1000).toFixed(1)} s |`
  );
}

/** The old-space cap of the flags the children run with (`--max-old-space-size`), else V8's own limit. */
function capOf(dist, hostHeap, runs) {
  const flag = hostHeap
    ? undefined
    : shippedNodeFlags(dist).find((f) => f.startsWith('--max-old-space-size='));
  return flag ? Number(flag.split('=')[1]) * MB : runs.find((r) => !r.failed)?.heapLimit;
}

/** Least squares of live heap on N over the runs that finished: bytes per release object, and the
 * N at which the live heap reaches `limit`. */
function fit(runs, limit) {
  const ok = runs.filter((r) => !r.failed);
  if (ok.length < 2) return undefined;
  const mx = ok.reduce((s, r) => s + r.n, 0) / ok.length;
  const my = ok.reduce((s, r) => s + r.live, 0) / ok.length;
  const slope =
    ok.reduce((s, r) => s + (r.n - mx) * (r.live - my), 0) / ok.reduce((s, r) => s + (r.n - mx) ** 2, 0);
  const intercept = my - slope * mx;
  return { slope, intercept, limit, nAtLimit: Math.floor((limit - intercept) / slope) };
}

async function parent() {
  const dist = distDirArg();
  assertBuilt(dist, 'build');
  const hostHeap = process.argv.includes('--host-heap');
  const sizes = argValue('--sizes', SMALL ? '2000,10000' : '10000,100000,300000')
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
  const commands = argValue('--commands', 'plan,status').split(',');
  console.log(benchHeading('listing-heap'));
  console.log(
    `node flags: ${hostHeap ? '(host heap)' : shippedNodeFlags(dist).join(' ')} --expose-gc; ` +
      (SHAPE === 'junk'
        ? 'junk: N release objects under non-canonical keys, nothing provisioned; listed = N\n'
        : `fleet: N release objects, N/2 provisioned, ${VERSIONS_PER_APP} versions per app; listed = N + N/2 manifests + N/2 markers + N/10 fingerprints\n`),
  );
  console.log(
    '| command | N release objects | listed objects | live heap after GC (at) | peak heap used | peak RSS | time |',
  );
  console.log('|---|---:|---:|---|---:|---:|---:|');
  const all = [];
  for (const command of commands) {
    const runs = [];
    for (const n of sizes) {
      const r = await measure(dist, command, n, hostHeap, SHAPE);
      runs.push(r);
      all.push(r);
      console.log(rowOf(r));
      if (r.failed && !r.outOfHeap && !r.error) console.log(r.stderr);
    }
    const fitted = runs.filter((r) => !r.failed).map((r) => r.n);
    const aborted = runs.filter((r) => r.outOfHeap).map((r) => r.n);
    if (aborted.length > 0)
      console.log(
        `  ${command}: finished at N = ${fitted.length ? Math.max(...fitted).toLocaleString('en') : '(none)'}, ` +
          `V8 aborted (heap limit) at N = ${Math.min(...aborted).toLocaleString('en')}`,
      );
    const f = fit(runs, capOf(dist, hostHeap, runs));
    if (f)
      console.log(
        `  ${command}: ${((f.slope * 1000) / MB).toFixed(2)} MB live per 1,000 release objects ` +
          `(${((f.slope * 1000 * 1000) / MB / ((listedOf(1_000_000) / 1_000_000) * 1000)).toFixed(2)} MB per 1,000 listed objects), ` +
          `${mbOf(f.intercept)} at N = 0; live heap reaches ${mbOf(f.limit)} (${hostHeap ? "V8's heap limit" : 'the old-space cap'}) at N ≈ ` +
          `${f.nAtLimit.toLocaleString('en')} (${listedOf(f.nAtLimit).toLocaleString('en')} listed objects)`,
      );
  }
  console.log(
    `\nphases (live MB after GC): ${all
      .filter((r) => !r.failed)
      .map(
        (r) =>
          `${r.command} ${r.n}: ${Object.entries(r.phases)
            .map(([k, v]) => `${k} ${(v / MB).toFixed(1)}`)
            .join(', ')}`,
      )
      .join(' | ')}`,
  );
  process.exitCode = all.some((r) => r.failed && !r.outOfHeap) ? 1 : 0;
}

runMain(process.argv.includes('--child') ? child : parent);
