#!/usr/bin/env node
/**
 * Reliability suite 2 (issue 8, RELIABILITY.md): seeded SIGKILLs of `apps-deployer reconcile`.
 *
 * One moto server and one proxy (test/support/fault-proxy.ts, no faults: it counts requests and
 * carries S3's clock). Each round uploads a batch of new bundles, starts `reconcile` (the built CLI,
 * a subprocess, APPS_DEPLOYER_LOCK_TTL_SECONDS=60, the shortest TTL DESIGN.md allows) and SIGKILLs it
 * at a seeded random moment: either when its n-th AWS request reaches the proxy (plus 0–30 ms, so the
 * request may or may not be forwarded and answered), or a random delay after its first AWS request.
 * Then:
 *  - the state is checked as the killed run left it: I1, nothing stray or duplicated, no data lost;
 *  - a converging run: the killed run's lock (when it left one) is stale only once its TTL has passed
 *    by S3's clock. The deployer judges expiry by S3's `Date` header against the lock's LastModified
 *    (DESIGN.md "One writer"), so the proxy moves S3's clock TTL + 2 s ahead for that run
 *    (setS3ClockOffset): the deployer's real takeover path (read the lock, judge it expired, replace
 *    it with If-Match on its ETag) runs against the real lock the killed process left, without waiting
 *    a minute per round. --wait-ttl waits the TTL for real instead (slow: a minute per kill);
 *  - after it: exit 0, every bundle uploaded so far provisioned, I1, nothing duplicated, no lock, and
 *    `plan` has nothing left to do (a kill between a manifest and its marker once left a version whose
 *    settings the run after the converging one still converged).
 * A run that finishes before its kill point is not counted (its round is repeated with new bundles and
 * a kill point within what that run needed). Exit 1 when any outcome is wrong.
 *
 * Usage: npm run reliability:crash [-- --kills 20 --batch 3 --seed S --concurrency 4 --wait-ttl
 *        --dist DIR]    (RELIABILITY_SMALL=1: 5 kills)
 */
'use strict';
/* global setTimeout, clearTimeout */
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const { startMoto } = require('./lib');
const { requireTs } = require('./ts-support');
const R = require('./reliability');

const SMALL = process.env.RELIABILITY_SMALL === '1';
const KILLS = Number(R.argValue('--kills', SMALL ? '5' : '20'));
const BATCH = Number(R.argValue('--batch', '3'));
const SEED = Number(R.argValue('--seed', String(R.freshSeed())));
const CONCURRENCY = R.argValue('--concurrency', '4');
const WAIT_TTL = process.argv.includes('--wait-ttl');
const TTL_SECONDS = 60;
const RUN_TIMEOUT_MS = 10 * 60_000;
const dist = path.resolve(R.argValue('--dist', path.join(R.root, 'dist')));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs the CLI; `killAt` = { requests, extraMs } or { ms }: SIGKILL then. Resolves the result. */
async function reconcile(proxy, hook, killAt) {
  const cli = R.startCli(
    dist,
    ['reconcile', '--json', '--concurrency', CONCURRENCY],
    R.cliEnv(proxy.url, { APPS_DEPLOYER_LOCK_TTL_SECONDS: String(TTL_SECONDS) }),
  );
  const from = proxy.requests.length;
  let killedAfter;
  const kill = () => {
    if (killedAfter !== undefined || cli.child.exitCode !== null) return;
    killedAfter = proxy.requests.length - from;
    cli.child.kill('SIGKILL');
  };
  const timers = [setTimeout(kill, RUN_TIMEOUT_MS)];
  let firstAt;
  hook.current = (_req, index) => {
    if (index === from) {
      firstAt = Date.now();
      // a delay counts from the run's first AWS request (Node's start-up takes about a second)
      if (killAt?.ms !== undefined) timers.push(setTimeout(kill, killAt.ms));
    }
    if (killAt?.requests !== undefined && index - from + 1 === killAt.requests)
      timers.push(setTimeout(kill, killAt.extraMs));
  };
  const res = await cli.done;
  const end = Date.now();
  hook.current = undefined;
  for (const t of timers) clearTimeout(t);
  const last = killedAfter ? proxy.requests[from + killedAfter - 1] : undefined;
  return {
    ...res,
    killed: res.signal === 'SIGKILL',
    /** from the first AWS request to the exit */
    workMs: firstAt === undefined ? 0 : end - firstAt,
    requests: proxy.requests.length - from,
    lastOp: last ? `${last.service}.${last.operation}${last.key ? ` ${last.key.split('/')[0]}/…` : ''}` : '-',
  };
}

/** What `plan` would still do after a converging run: ["<release key>: <action> (<reason>)"]. */
async function leftoverWork(proxy) {
  const { WORK_ACTIONS } = require(path.join(dist, 'reconcile', 'plan.js'));
  const res = await R.startCli(dist, ['plan', '--json'], R.cliEnv(proxy.url)).done;
  if (res.code !== 0) return [`plan exited ${res.code ?? res.signal}: ${res.stderr.slice(-500)}`];
  const plan = JSON.parse(res.stdout);
  return plan.items
    .filter((i) => WORK_ACTIONS.has(i.action))
    .map((i) => `${i.releaseKey}: ${i.action} (${i.reason})`);
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'cli', 'main.js')))
    throw new Error(`${dist}/cli/main.js is missing: run \`npm run build\` (npm run reliability:crash does)`);
  console.log(
    `crash suite: node ${process.version}, ${os.cpus().length} CPUs, ${KILLS} SIGKILLs, ${BATCH} new bundles per ` +
      `round, concurrency ${CONCURRENCY}, lock TTL ${TTL_SECONDS} s (${WAIT_TTL ? 'waited for real' : "S3's clock moved ahead"}), seed ${SEED}`,
  );
  const { startFaultProxy, seededRandom } = requireTs('test/support/fault-proxy.ts');
  const random = seededRandom(SEED);
  const moto = await startMoto();
  const hook = { current: undefined };
  const proxy = await startFaultProxy({
    target: moto.endpoint,
    onRequest: (req, index) => hook.current?.(req, index),
  });
  const clients = R.checkClients(moto.endpoint);
  const fleet = [];
  const published = new Set();
  const rows = [];
  const problems = [];
  // what a run of one batch needs (requests, ms), learnt from runs that were not killed
  let estimate = { requests: 30 * BATCH + 30, ms: 6_000 };
  try {
    await R.seedFleet(moto.endpoint, []);
    for (let round = 1, kills = 0; kills < KILLS && round <= KILLS * 2; round++) {
      const batch = [];
      for (let j = 0; j < BATCH; j++) batch.push(await R.makeBundle(`rel.c${round}-${j}`));
      await R.seedFleet(moto.endpoint, batch);
      fleet.push(...batch);
      const byRequests = random() < 0.7;
      const killAt = byRequests
        ? { requests: 1 + Math.floor(random() * estimate.requests), extraMs: Math.floor(random() * 30) }
        : { ms: Math.floor(random() * estimate.ms) };
      proxy.setS3ClockOffset(0);
      const killed = await reconcile(proxy, hook, killAt);
      const point = byRequests
        ? `request ${killAt.requests} +${killAt.extraMs} ms`
        : `${killAt.ms} ms after the 1st request`;
      if (!killed.killed) {
        estimate = { requests: killed.requests, ms: killed.workMs };
        console.log(
          `  round ${round}: finished (exit ${killed.code}) before its kill point (${point}); not counted`,
        );
        if (killed.code !== 0) problems.push(`round ${round}: an uncut run exited ${killed.code}`);
        continue;
      }
      kills++;
      const after = await R.checkState(clients, fleet, published);
      if (WAIT_TTL && after.lock) await sleep((TTL_SECONDS + 2) * 1000);
      else if (after.lock) proxy.setS3ClockOffset((TTL_SECONDS + 2) * 1000);
      const next = await reconcile(proxy, hook, undefined);
      const end = await R.checkState(clients, fleet, published);
      const left = await leftoverWork(proxy);
      const tag = `kill ${kills} (round ${round})`;
      for (const v of [...after.i1, ...end.i1]) problems.push(`${tag}: I1 violated: ${v}`);
      for (const v of [...after.dup, ...end.dup]) problems.push(`${tag}: ${v}`);
      for (const v of [...after.lost, ...end.lost]) problems.push(`${tag}: DATA LOST: ${v}`);
      if (next.code !== 0) {
        problems.push(`${tag}: the converging run exited ${next.code ?? next.signal}`);
        console.log(`  ${tag}: converging run stderr (tail):\n${next.stderr.slice(-1500)}`);
      }
      if (end.manifests !== fleet.length)
        problems.push(`${tag}: ${end.manifests}/${fleet.length} provisioned`);
      if (end.lock) problems.push(`${tag}: the lock was left behind by the converging run`);
      for (const w of left) problems.push(`${tag}: after the converging run, plan still has work: ${w}`);
      const row = [
        kills,
        point,
        `${killed.requests} req, ${(killed.ms / 1000).toFixed(1)} s`,
        killed.lastOp,
        after.lock ? 'stale, taken over' : 'none',
        `${after.manifests}/${fleet.length}, I1 ${after.i1.length ? 'VIOLATED' : 'ok'}`,
        next.code ?? next.signal,
        `${end.manifests}/${fleet.length}`,
        end.i1.length + after.i1.length === 0 ? 'ok' : 'VIOLATED',
        end.dup.length + after.dup.length === 0 ? 'none' : 'FOUND',
        end.lock ? 'LEFT' : 'none',
        left.length,
      ];
      rows.push(row);
      console.log(`  ${row.join(' | ')}`);
    }
  } finally {
    clients.destroy();
    await proxy.close();
    moto.child.kill('SIGTERM');
  }
  if (rows.length < KILLS) problems.push(`only ${rows.length} of ${KILLS} runs could be killed`);
  console.log('');
  R.printTable(
    [
      'kill',
      'kill point',
      'killed run did',
      'last request',
      'its lock',
      'after kill: manifests',
      'next run exit',
      'provisioned',
      'I1',
      'duplicates',
      'lock at end',
      'then planned',
    ],
    rows,
  );
  const lost = problems.filter((p) => p.includes('DATA LOST')).length;
  console.log(
    `\n${rows.length} SIGKILLs, ${rows.filter((r) => r[4] !== 'none').length} stale locks taken over, ` +
      `${fleet.length} bundles; data lost: ${lost}; ${problems.length === 0 ? 'every outcome right' : 'WRONG:'}`,
  );
  for (const p of problems.slice(0, 40)) console.log(`  - ${p}`);
  console.log(
    `reproduce: npm run reliability:crash -- --kills ${KILLS} --batch ${BATCH} --seed ${SEED}${WAIT_TTL ? ' --wait-ttl' : ''}`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
