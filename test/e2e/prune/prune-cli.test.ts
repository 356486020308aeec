/**
 * `apps-deployer prune` end to end: the built CLI as a subprocess against the emulator — --help, usage
 * and configuration errors (exit 2), the dry run and --apply with --json, the lock (exit 3), status
 * listing retired versions, and a crash loop: SIGKILL at seeded random moments of `prune --apply`, each
 * followed by an independent check of invariant I1, a rerun, and a reconcile that must provision no
 * retired version again.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { PruneReport } from '../../../src/prune/types';
import type { StatusReport } from '../../../src/status/types';
import { tempDir } from '../../support/bundle-builder';
import { startFaultProxy } from '../../support/fault-proxy';
import {
  builtCliSuite,
  assertI1,
  cli,
  e2eEnv,
  lambdaName,
  listKeys,
  makeApp,
  put,
  sleep,
  startCli,
  uniqueAppId,
  type App,
  type E2eEnv,
} from '../reconcile/support';

jest.setTimeout(600_000);

const clients = builtCliSuite();

async function functionExists(name: string): Promise<boolean> {
  try {
    await clients.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

async function manifestExists(env: E2eEnv, app: App): Promise<boolean> {
  try {
    await clients.s3.send(
      new HeadObjectCommand({ Bucket: env.appsBucket, Key: `manifests/${app.appId}_${app.version}.json` }),
    );
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

async function publish(env: E2eEnv, appId: string, versions: string[]): Promise<App[]> {
  const apps: App[] = [];
  for (const v of versions) {
    const app = await makeApp(appId, v);
    await put(clients.s3, env.releaseBucket, app.key, app.bytes);
    apps.push(app);
  }
  const r = await cli(['reconcile'], env.vars);
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  return apps;
}

/** I1 from the outside: every version whose manifest exists has its functions and assets. */
async function assertInvariant(env: E2eEnv, apps: App[]): Promise<void> {
  for (const app of apps) if (await manifestExists(env, app)) await assertI1(clients, env.appsBucket, app);
}

const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

describe('prune (CLI)', () => {
  it('--help names its flags, environment variables and exit codes', async () => {
    const r = await cli(['prune', '--help'], {});
    expect(r.code).toBe(0);
    for (const text of [
      '--keep <n>',
      '--older-than <days>',
      '--only <app_id>',
      '--apply',
      '--json',
      'APPS_DEPLOYER_PRUNE_PINNED',
      'APPS_DEPLOYER_RUN_RETENTION_DAYS',
      'MM_APPS_S3_BUCKET',
      'Exit codes:',
      '3 another run holds the lock',
      '143 stopped by SIGTERM',
    ])
      expect(r.stdout).toContain(text);
  });

  it('usage and configuration errors exit 2 with one clear message, before any AWS call', async () => {
    const env = await e2eEnv();
    const bad = await cli(['prune'], { ...env.vars, APPS_DEPLOYER_PRUNE_PINNED: 'com.a.b@1.0.0, not-a-pin' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/APPS_DEPLOYER_PRUNE_PINNED: "not-a-pin" is not app_id@version/);
    const keep = await cli(['prune', '--keep', '0'], env.vars);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toMatch(/--keep must be a whole number from 1/);
    const days = await cli(['prune', '--older-than', 'soon'], env.vars);
    expect(days.code).toBe(2);
    const only = await cli(['prune', '--only', '../x'], env.vars);
    expect(only.code).toBe(2);
    expect(await listKeys(clients.s3, env.appsBucket, '')).toEqual([]);
  });

  it('dry run, --apply, status and reconcile over an app with 3 versions; exit 3 while another run holds the lock', async () => {
    const env = await e2eEnv();
    const appId = uniqueAppId('pc');
    const apps = await publish(env, appId, ['1.0.0', '1.1.0', '2.0.0']);

    const dry = await cli(['prune', '--keep', '1', '--older-than', '0', '--json'], env.vars);
    expect(dry.code).toBe(0);
    const plan = json<PruneReport>(dry.stdout);
    expect(plan).toMatchObject({ pruneVersion: 1, dryRun: true, exitCode: 0 });
    expect(plan.versions.filter((v) => v.action === 'retire').map((v) => v.version)).toEqual([
      '1.1.0',
      '1.0.0',
    ]);
    const human = await cli(['prune', '--keep', '1', '--older-than', '0'], env.vars);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/dry run: nothing changed/);
    expect(human.stdout).toMatch(/Versions to retire \(2\)/);

    // another run holds the lock: --apply exits 3 and does nothing; the dry run needs no lock
    const lock = JSON.stringify({
      runId: 'other',
      host: 'h',
      pid: 1,
      startedAt: new Date().toISOString(),
      ttlSeconds: 300,
    });
    await clients.s3.send(new PutObjectCommand({ Bucket: env.appsBucket, Key: 'deployer/lock', Body: lock }));
    const held = await cli(['prune', '--keep', '1', '--older-than', '0', '--apply'], env.vars);
    expect(held.code).toBe(3);
    expect(held.stderr).toMatch(/holds the lock/);
    expect((await cli(['prune', '--keep', '1', '--older-than', '0'], env.vars)).code).toBe(0);
    expect((await cli(['unlock', '--yes'], env.vars)).code).toBe(0);
    for (const app of apps) expect(await manifestExists(env, app)).toBe(true);

    const applied = await cli(['prune', '--keep', '1', '--older-than', '0', '--apply', '--json'], env.vars);
    expect(applied.code).toBe(0);
    const done = json<PruneReport>(applied.stdout);
    expect(done.dryRun).toBe(false);
    expect(done.retired?.map((r) => [r.version, r.status])).toEqual([
      ['1.1.0', 'retired'],
      ['1.0.0', 'retired'],
    ]);
    for (const app of apps.slice(0, 2)) {
      expect(await manifestExists(env, app)).toBe(false);
      expect(await functionExists(lambdaName(app))).toBe(false);
    }
    await assertI1(clients, env.appsBucket, apps[2] as App);

    const status = await cli(['status', '--json'], env.vars);
    expect(status.code).toBe(0);
    expect(json<StatusReport>(status.stdout).retired).toEqual([
      { appId, version: '1.0.0', complete: true },
      { appId, version: '1.1.0', complete: true },
    ]);
    const text = await cli(['status'], env.vars);
    expect(text.stdout).toMatch(/Retired by prune \(2\)/);

    const rec = await cli(['reconcile', '--json'], env.vars);
    expect(rec.code).toBe(0);
    for (const app of apps.slice(0, 2)) expect(await manifestExists(env, app)).toBe(false);
    const plan2 = await cli(['plan', '--json'], env.vars);
    expect(plan2.stdout).toMatch(/known-retired/);

    // a manual provision of a retired version is refused too (with --update as well): nothing written
    const { dir, cleanup } = await tempDir();
    try {
      const file = path.join(dir, 'retired.zip');
      await writeFile(file, (apps[0] as App).bytes);
      for (const args of [
        ['provision', file],
        ['provision', file, '--update'],
        ['provision', file, '--dry-run'],
      ]) {
        const refused = await cli(args, env.vars);
        expect({ code: refused.code, retired: /retired by prune/.test(refused.stderr) }).toEqual({
          code: 1,
          retired: true,
        });
      }
      expect(await manifestExists(env, apps[0] as App)).toBe(false);
      expect(await functionExists(lambdaName(apps[0] as App))).toBe(false);
    } finally {
      await cleanup();
    }
  });

  it('crash loop: SIGKILL at seeded random moments of prune --apply never breaks I1 nor provisions a retired version again', async () => {
    // a seeded PRNG (mulberry32): the same kill moments on every run of the test
    let seed = 20261130;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const env = await e2eEnv({ APPS_DEPLOYER_LOG_LEVEL: 'info' });
    // the killed runs go through a proxy that delays every request by 60 ms: a kill when the proxy has
    // seen the run's N-th request lands after exactly N requests (the N-th still reaches the emulator,
    // the next is never sent), at any point of the run, between any two writes
    const proxy = await startFaultProxy({
      target: process.env.AWS_ENDPOINT_URL ?? '',
      rules: [{ name: 'slow', match: {}, action: { kind: 'delay', ms: 60 } }],
    });
    const slow = { ...env.vars, AWS_ENDPOINT_URL: proxy.url };
    const killAfter = async (n: number) => {
      const from = proxy.requests.length;
      const p = startCli(['prune', '--keep', '1', '--older-than', '0', '--apply', '--json'], slow);
      const poll = setInterval(() => {
        if (proxy.requests.length - from >= n) p.child.kill('SIGKILL');
      }, 2);
      const r = await p.done;
      clearInterval(poll);
      await sleep(150); // the last request the proxy was delaying lands
      return r;
    };

    const appId = uniqueAppId('crash');
    const all: App[] = await publish(env, appId, ['1.0.0']);
    let killed = 0;
    let interrupted = 0;
    for (let round = 1; round <= 3; round++) {
      all.push(...(await publish(env, appId, [`1.${round}.0`, `1.${round}.1`])));
      // killed runs until one completes: each goes a few requests further than the last
      for (let attempt = 0; attempt < 30; attempt++) {
        const r = await killAfter(3 + Math.floor(random() * 9));
        await assertInvariant(env, all);
        if (r.signal !== 'SIGKILL') {
          expect({ round, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({
            round,
            code: 0,
            stderr: '',
          });
          break;
        }
        killed++;
        // a retirement left half done (retired marker, no pruned marker) is resumed by the next run
        const seen = await listKeys(clients.s3, env.appsBucket, `deployer/seen/${appId}_`);
        const stems = (outcome: string) =>
          new Set(seen.filter((k) => k.endsWith(`/${outcome}-v1`)).map((k) => k.split('/')[2]));
        const pruned = stems('pruned');
        if ([...stems('retired')].some((s) => !pruned.has(s))) interrupted++;
        // the operator's path after a killed run: remove the lock it left (or wait for its TTL)
        expect((await cli(['unlock', '--yes'], env.vars)).code).toBe(0);
        // a reconcile between the kills provisions no version whose retirement began: a manifest
        // already deleted stays deleted, though its release bundle is still listed
        const retiredApps = all.filter((a) => stems('retired').has(`${appId}_${a.version}`));
        const gone: string[] = [];
        for (const app of retiredApps) if (!(await manifestExists(env, app))) gone.push(app.version);
        expect((await cli(['reconcile'], env.vars)).code).toBe(0);
        await assertInvariant(env, all);
        const stillGone: string[] = [];
        for (const app of retiredApps) if (!(await manifestExists(env, app))) stillGone.push(app.version);
        expect(stillGone).toEqual(gone);
      }
      const rec = await cli(['reconcile'], env.vars);
      expect(rec.code).toBe(0);
      const newest = all[all.length - 1] as App;
      await assertI1(clients, env.appsBucket, newest);
      for (const app of all.slice(0, -1)) {
        expect({ v: app.version, manifest: await manifestExists(env, app) }).toEqual({
          v: app.version,
          manifest: false,
        });
        expect({ v: app.version, fn: await functionExists(lambdaName(app)) }).toEqual({
          v: app.version,
          fn: false,
        });
      }
    }
    await proxy.close();
    expect(killed).toBeGreaterThan(5);
    expect(interrupted).toBeGreaterThan(0);
  });
});
