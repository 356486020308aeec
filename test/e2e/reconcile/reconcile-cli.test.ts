/**
 * `apps-deployer reconcile` / `plan` / `unlock` end to end: the built CLI as a subprocess against the
 * test backend (moto server), with bundles built by the tests and uploaded under the release prefix.
 */
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Plan, RunReport } from '../../../src/reconcile/types';
import { SETTINGS_MARKER_PREFIX } from '../../../src/settings/fingerprint';
import { bundleBuffer, simpleAppSpec } from '../../support/bundle-builder';
import { startFaultProxy } from '../../support/fault-proxy';
import {
  builtCliSuite,
  assertI1,
  cli,
  e2eEnv,
  getJson,
  lambdaName,
  listKeys,
  makeApp,
  put,
  putMultipart,
  sleep,
  startCli,
  uniqueAppId,
  PREFIX,
  type App,
  type CliResult,
} from './support';

jest.setTimeout(300_000);

const clients = builtCliSuite();
/** the markers under deployer/seen/, without the settings fingerprints recorded there */
const judgementMarkers = async (bucket: string) =>
  (await listKeys(clients.s3, bucket, 'deployer/seen/')).filter((k) => !k.startsWith(SETTINGS_MARKER_PREFIX));

function report(r: CliResult): RunReport {
  try {
    return JSON.parse(r.stdout) as RunReport;
  } catch {
    throw new Error(
      `not a JSON report (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-3000)}`,
    );
  }
}
const statusByKey = (r: RunReport) =>
  Object.fromEntries(r.bundles.map((b) => [b.releaseKey, b.outcome.status]));

describe('apps-deployer reconcile (built CLI, subprocess)', () => {
  it('10 bundles, 3 bad: 7 provisioned with I1, 3 rejected with reasons, exit 1; then a no-op run, exit 0', async () => {
    // Prepare: 7 good apps, 3 bad bundles
    const env = await e2eEnv();
    const good: App[] = [];
    for (let i = 0; i < 7; i++) good.push(await makeApp(uniqueAppId(), `1.${i}`));
    const oldRuntime = await simpleAppSpec(uniqueAppId(), '1.0');
    (oldRuntime.manifest as { aws_lambda: { runtime: string }[] }).aws_lambda[0]!.runtime = 'go1.x';
    const missingZip = await simpleAppSpec(uniqueAppId(), '1.0');
    missingZip.functions = {};
    const bad = {
      [`${PREFIX}${(oldRuntime.manifest as { app_id: string }).app_id}_1.0.zip`]:
        await bundleBuffer(oldRuntime),
      [`${PREFIX}${(missingZip.manifest as { app_id: string }).app_id}_1.0.zip`]:
        await bundleBuffer(missingZip),
      [`${PREFIX}${uniqueAppId()}_1.0.zip`]: Buffer.from('this is not a zip file'),
    };
    for (const app of good) await put(clients.s3, env.releaseBucket, app.key, app.bytes);
    for (const [key, bytes] of Object.entries(bad)) await put(clients.s3, env.releaseBucket, key, bytes);

    // Act: the plan first (no write), then the run
    const planRun = await cli(['plan', '--json'], env.vars);
    const afterPlan = await listKeys(clients.s3, env.appsBucket, '');
    const run1 = await cli(['reconcile', '--json'], env.vars);

    // Assess: the plan
    expect(planRun.code).toBe(0);
    const plan = JSON.parse(planRun.stdout) as Plan;
    expect(plan.counts).toEqual({ provision: 10 });
    expect(afterPlan).toEqual([]); // the plan wrote nothing, not even the lock

    // Assess: the run
    const r1 = report(run1);
    expect(run1.code).toBe(1);
    expect(r1.exitCode).toBe(1);
    expect(r1.counts).toEqual({ provisioned: 7, rejected: 3 });
    for (const app of good) expect(statusByKey(r1)[app.key]).toBe('provisioned');
    const reasons = r1.bundles
      .filter((b) => b.outcome.status === 'rejected')
      .map((b) =>
        b.outcome.status === 'rejected'
          ? b.outcome.issues.map((i) => `${i.code}: ${i.message}`).join('; ')
          : '',
      );
    expect(reasons).toHaveLength(3);
    expect(reasons.some((r) => /go1\.x/.test(r))).toBe(true);
    expect(reasons.some((r) => /fn0/.test(r))).toBe(true); // the function without its zip
    expect(reasons.some((r) => /zip/i.test(r))).toBe(true);
    for (const app of good) await assertI1(clients, env.appsBucket, app);
    expect(await listKeys(clients.s3, env.appsBucket, 'manifests/')).toHaveLength(7);
    expect(await judgementMarkers(env.appsBucket)).toHaveLength(10);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual([]);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/runs/')).toEqual([r1.recordKey]);

    // Act: a second run
    const run2 = await cli(['reconcile', '--json'], env.vars);

    // Assess: nothing to do; only the listings, the lock (put + delete) and the run record; exit 0
    const r2 = report(run2);
    expect(run2.code).toBe(0);
    expect(r2.counts).toEqual({ skipped: 10 });
    // the report (= the run record) counts up to the record: the listings and the lock's put; the
    // record's own write and the lock's release come after it (the record is there, the lock gone)
    expect(r2.requests).toEqual({ 'S3.ListObjectsV2': 3, 'S3.PutObject': 1 });
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual([]);
    // the bad bundles were not downloaded again (no GetObject at all)
    expect(r2.requests['S3.GetObject']).toBeUndefined();
    expect((await listKeys(clients.s3, env.appsBucket, 'deployer/runs/')).length).toBe(2);

    // Act: a new app arrives: only it is downloaded
    const late = await makeApp(uniqueAppId(), '2.0');
    await put(clients.s3, env.releaseBucket, late.key, late.bytes);
    const run3 = await cli(['reconcile', '--json'], env.vars);
    const r3 = report(run3);
    expect(run3.code).toBe(0);
    expect(r3.counts).toEqual({ provisioned: 1, skipped: 10 });
    expect(r3.requests['S3.GetObject']).toBe(1);
    await assertI1(clients, env.appsBucket, late);

    // human output: the summary table
    const human = await cli(['reconcile'], env.vars);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/nothing to do, 11 unchanged/);
  });

  it('recognizes an identical re-upload; other bytes are a conflict and overwrite nothing', async () => {
    const env = await e2eEnv();
    const app = await makeApp(uniqueAppId(), '1.0');
    await put(clients.s3, env.releaseBucket, app.key, app.bytes);
    expect((await cli(['reconcile', '--json'], env.vars)).code).toBe(0);
    const manifestKey = `manifests/${app.appId}_${app.version}.json`;
    const before = await clients.s3.send(new HeadObjectCommand({ Bucket: env.appsBucket, Key: manifestKey }));

    // the same bytes, uploaded again as a new object (new ETag)
    await putMultipart(clients.s3, env.releaseBucket, app.key, app.bytes);
    const same = await cli(['reconcile', '--json'], env.vars);
    expect(same.code).toBe(0);
    const rs = report(same);
    expect(rs.bundles[0]).toMatchObject({ action: 'check-reupload', outcome: { status: 'identical' } });
    expect(rs.requests['Lambda.CreateFunction']).toBeUndefined();

    // other bytes under the same version
    const changed = await makeApp(app.appId, app.version, 'changed');
    await put(clients.s3, env.releaseBucket, app.key, changed.bytes);
    const conflict = await cli(['reconcile', '--json'], env.vars);
    expect(conflict.code).toBe(1);
    const rc = report(conflict);
    expect(rc.bundles[0]?.outcome.status).toBe('conflict');
    expect(rc.bundles[0]?.outcome.status === 'conflict' && rc.bundles[0].outcome.message).toMatch(
      /immutable/,
    );
    const after = await clients.s3.send(new HeadObjectCommand({ Bucket: env.appsBucket, Key: manifestKey }));
    expect(after.ETag).toBe(before.ETag);
    await assertI1(clients, env.appsBucket, app); // still the first bytes everywhere
    expect(rc.requests['Lambda.UpdateFunctionCode']).toBeUndefined();

    // known from then on: reported, not failing again
    const known = await cli(['reconcile', '--json'], env.vars);
    expect(known.code).toBe(0);
    // report v2: unchanged bundles (known ones included) are counted, not listed
    expect(report(known)).toMatchObject({ bundles: [], unchanged: { 'known-conflict': 1 } });
  });

  it('two runs started together: one provisions, the other exits 3 naming the holder (or, when they did not overlap, is a no-op)', async () => {
    // Prepare: 3 new bundles; both runs through a proxy that counts CreateFunction and forwards the
    // conditional writes of one key one at a time: AWS decides two concurrent `If-None-Match: *` creates
    // atomically, moto 5.2.5 does not (both may answer 200; then both runs hold the lock: the flake
    // this test had, on a loaded machine where both processes reach the lock within milliseconds)
    const env = await e2eEnv();
    const apps = [
      await makeApp(uniqueAppId(), '1.0'),
      await makeApp(uniqueAppId(), '1.0'),
      await makeApp(uniqueAppId(), '1.0'),
    ];
    for (const app of apps) await put(clients.s3, env.releaseBucket, app.key, app.bytes);
    const proxy = await startFaultProxy({
      target: process.env.AWS_ENDPOINT_URL ?? '',
      atomicConditionalWrites: true,
    });
    const vars = { ...env.vars, AWS_ENDPOINT_URL: proxy.url };

    // Act: both at once. Which one wins, and whether the other even starts before the winner is done
    // (a run of 3 bundles lasts about as long as a loaded machine may take to start a process), is up
    // to the scheduler: the held race is lock-contention-cli.test.ts, which always ends in 0 and 3.
    const [a, b] = await Promise.all([
      cli(['reconcile', '--json'], vars),
      cli(['reconcile', '--json'], vars),
    ]).finally(() => proxy.close());

    // Assess: never both at work. Either they overlapped (0 and 3: the loser names the winner's run and
    // writes nothing), or one ran after the other had finished (0 and 0: the later one a no-op, within
    // the budget of a run with nothing to do: the listings, its lock and its run record)
    const runs = await listKeys(clients.s3, env.appsBucket, 'deployer/runs/');
    const show = (name: string, r: CliResult) =>
      `${name}: exit ${r.code} signal ${r.signal}\nits lock's log lines:\n` +
      r.stderr
        .split('\n')
        .filter((l) => /lock/.test(l))
        .join('\n') +
      `\nstdout: ${r.stdout.slice(-1500)}\nstderr: ${r.stderr.slice(-1500)}`;
    try {
      const codes = [a.code, b.code].sort();
      expect([
        [0, 0],
        [0, 3],
      ]).toContainEqual(codes);
      if (codes[1] === 3) {
        const loser = a.code === 3 ? a : b;
        const winner = report(a.code === 3 ? b : a);
        expect(loser.stderr).toMatch(
          new RegExp(
            `another reconcile holds the lock .*deployer/lock: run ${winner.runId} on \\S+ \\(pid \\d+\\) since`,
          ),
        );
        expect(loser.stderr).toMatch(/apps-deployer unlock/);
        expect(loser.stdout).toBe('');
        expect(winner.counts).toEqual({ provisioned: 3 });
        expect(runs).toEqual([winner.recordKey]);
      } else {
        const [ra, rb] = [report(a), report(b)];
        const [first, later] = ra.counts.provisioned !== undefined ? [ra, rb] : [rb, ra];
        expect(first.counts).toEqual({ provisioned: 3 });
        expect(later.counts).toEqual({ skipped: 3 });
        expect(later.requests).toEqual({ 'S3.ListObjectsV2': 3, 'S3.PutObject': 1 });
        expect(runs.sort()).toEqual([first.recordKey, later.recordKey].sort());
      }
      for (const app of apps) await assertI1(clients, env.appsBucket, app);
      expect(proxy.count({ service: 'lambda', operation: 'CreateFunction' })).toBe(apps.length);
      expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual([]);
    } catch (e) {
      console.log(`two runs failed; run records: ${JSON.stringify(runs)}\n${show('a', a)}\n${show('b', b)}`);
      throw e;
    }
  });

  it('a run killed with SIGKILL mid-way, then unlock and rerun: converged, I1 holds, nothing duplicated', async () => {
    // Prepare: 6 apps, one bundle at a time so that the kill lands mid-way
    const env = await e2eEnv();
    const apps: App[] = [];
    for (let i = 0; i < 6; i++) apps.push(await makeApp(uniqueAppId('k'), '1.0'));
    for (const app of apps) await put(clients.s3, env.releaseBucket, app.key, app.bytes);

    // Act: kill the run as soon as the first manifest appears
    const first = startCli(['reconcile', '--concurrency', '1'], env.vars);
    let manifests: string[] = [];
    const deadline = Date.now() + 120_000;
    while (manifests.length === 0 && Date.now() < deadline && first.child.exitCode === null) {
      await sleep(25);
      manifests = await listKeys(clients.s3, env.appsBucket, 'manifests/');
    }
    const stillRunning = first.child.exitCode === null;
    first.child.kill('SIGKILL');
    const killed = await first.done;

    // Assess: it was killed mid-way, leaving its lock
    expect(stillRunning).toBe(true);
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = await listKeys(clients.s3, env.appsBucket, 'manifests/');
    expect(afterKill.length).toBeGreaterThan(0);
    expect(afterKill.length).toBeLessThan(apps.length);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual(['deployer/lock']);

    // a rerun now is refused: the dead run's lock is live for its TTL
    const refused = await cli(['reconcile'], env.vars);
    expect(refused.code).toBe(3);

    // unlock shows the lock and its ETag; removing it needs that ETag
    const shown = await cli(['unlock'], env.vars);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/held by\s+run \S+ on \S+ \(pid \d+\)/);
    const etag = /unlock --etag (\S+)/.exec(shown.stdout)?.[1];
    expect(etag).toBeDefined();
    const wrong = await cli(['unlock', '--etag', '0123456789abcdef0123456789abcdef'], env.vars);
    expect(wrong.code).toBe(1);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual(['deployer/lock']);
    const removed = await cli(['unlock', '--etag', etag!], env.vars);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/lock removed/);
    expect((await cli(['unlock'], env.vars)).stdout).toMatch(/no lock/);

    // Act: rerun
    const rerun = await cli(['reconcile', '--json'], env.vars);

    // Assess: converged; every app provisioned exactly once
    expect(rerun.code).toBe(0);
    const r = report(rerun);
    for (const b of r.bundles) expect(['provisioned', 'identical', 'skipped']).toContain(b.outcome.status);
    for (const app of apps) await assertI1(clients, env.appsBucket, app);
    expect(await listKeys(clients.s3, env.appsBucket, 'manifests/')).toEqual(
      apps.map((a) => `manifests/${a.appId}_${a.version}.json`).sort(),
    );
    expect(await listKeys(clients.s3, env.appsBucket, 'static/')).toHaveLength(apps.length);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/code/')).toHaveLength(apps.length);
    const names = new Set(apps.map((a) => lambdaName(a)));
    const fns: string[] = [];
    let marker: string | undefined;
    do {
      const page = await clients.lambda.send(new ListFunctionsCommand({ Marker: marker }));
      fns.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? '').filter((n) => names.has(n)));
      marker = page.NextMarker;
    } while (marker);
    expect(fns.sort()).toEqual([...names].sort());
    // one judgement per release object
    const seen = await judgementMarkers(env.appsBucket);
    expect(seen).toHaveLength(apps.length);
    for (const key of seen)
      expect((await getJson(clients.s3, env.appsBucket, key)).outcome).toMatch(/^(provisioned|identical)$/);
    // and the next run has nothing to do
    const again = await cli(['reconcile', '--json'], env.vars);
    expect(again.code).toBe(0);
    const worked = report(again).bundles.filter((b) => b.outcome.status !== 'skipped');
    // a flake seen once in CI (a bundle provisioned again here): name it when it happens
    if (worked.length > 0)
      console.log(`after the SIGKILL, the next run still worked on: ${JSON.stringify(worked)}`);
    expect(report(again).counts).toEqual({ skipped: apps.length });
  });
});
