/**
 * `apps-deployer verify` end to end (the built CLI as a subprocess against the test backend): --help
 * names the env vars and exit codes; a clean fleet exits 0; a deleted function exits 1 with a
 * versioned --json document naming it; --repair converges it (exit 0); usage errors exit 2; a held
 * lock with no --wait-lock exits 3 and repairs nothing, and a SIGTERM while waiting for it exits 143.
 */
import { DeleteFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startHttpReceiver } from '../../support/http-receiver';
import {
  builtCliSuite,
  cli,
  e2eEnv,
  lambdaName,
  makeApp,
  put,
  sleep,
  startCli,
  uniqueAppId,
} from '../reconcile/support';

jest.setTimeout(180_000);
const clients = builtCliSuite();

describe('apps-deployer verify', () => {
  it('--help names the options, the environment and the exit codes', async () => {
    const r = await cli(['verify', '--help'], {});
    expect(r.code).toBe(0);
    for (const s of [
      '--repair',
      '--wait-lock <seconds>',
      '--only <app_id>',
      '--json',
      'MM_APPS_S3_BUCKET',
      'Exit codes:',
    ])
      expect(r.stdout).toContain(s);
    expect(r.stdout).toMatch(/^ {2}1 drift found/m);
    expect(r.stdout).toMatch(/^ {2}3 --repair: another run still holds the lock/m);
  });

  it('exits 2 on usage errors', async () => {
    const env = await e2eEnv();
    expect((await cli(['verify', '--only', 'x'], env.vars)).code).toBe(2);
    const wait = await cli(['verify', '--wait-lock', '5'], env.vars);
    expect(wait.code).toBe(2);
    expect(wait.stderr).toContain('--wait-lock applies to --repair only');
    expect((await cli(['verify', '--repair', '--wait-lock', 'soon'], env.vars)).code).toBe(2);
  });

  it('clean → 0; a deleted function → 1 with a versioned JSON document; lock held → 3; --repair → 0', async () => {
    // Prepare: one app provisioned by reconcile
    const env = await e2eEnv();
    const app = await makeApp(uniqueAppId('vc'), '1.0.0');
    await put(clients.s3, env.releaseBucket, app.key, app.bytes);
    expect((await cli(['reconcile'], env.vars)).code).toBe(0);

    // clean
    const clean = await cli(['verify'], env.vars);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^verify: 1 version\(s\), 1 function\(s\), 1 asset\(s\): no drift$/m);

    // drift
    await clients.lambda.send(new DeleteFunctionCommand({ FunctionName: lambdaName(app) }));
    const found = await cli(['verify', '--json', '--only', app.appId], env.vars);
    expect(found.code).toBe(1);
    const doc = JSON.parse(found.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      verifyVersion: 1,
      only: app.appId,
      repair: false,
      versions: 1,
      exitCode: 1,
      drift: [
        {
          appId: app.appId,
          version: '1.0.0',
          kind: 'function-missing',
          resource: lambdaName(app),
          repairable: true,
        },
      ],
      foreign: [],
      repairs: [],
    });
    expect(Object.keys(doc.requests as object)).toContain('Lambda.GetFunction');
    const human = await cli(['verify'], env.vars);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      new RegExp(`^${app.appId.replace(/\./g, '\\.')} +1\\.0\\.0 +${lambdaName(app)} +function-missing`, 'm'),
    );

    // a lock held by another run: --repair without waiting exits 3 and repairs nothing
    const lock = JSON.stringify({
      runId: 'other',
      host: 'h',
      pid: 1,
      startedAt: new Date().toISOString(),
      ttlSeconds: 600,
    });
    await clients.s3.send(
      new PutObjectCommand({ Bucket: env.appsBucket, Key: 'deployer/lock', Body: lock, IfNoneMatch: '*' }),
    );
    const locked = await cli(['verify', '--repair'], env.vars);
    expect(locked.code).toBe(3);
    expect(locked.stderr).toMatch(/another reconcile holds the lock/);
    // SIGTERM while waiting for it: exit 143, nothing repaired
    const waiting = startCli(['verify', '--repair', '--wait-lock', '120'], env.vars);
    await sleep(2_500);
    waiting.child.kill('SIGTERM');
    const stopped = await waiting.done;
    expect(stopped.code).toBe(143);
    expect(stopped.stderr).toMatch(/SIGTERM: stopping/);
    await expect(
      clients.lambda.send(new GetFunctionCommand({ FunctionName: lambdaName(app) })),
    ).rejects.toBeDefined();
    expect((await cli(['unlock', '--yes'], env.vars)).code).toBe(0);

    // repair
    const repaired = await cli(['verify', '--repair', '--json'], env.vars);
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject({
      repair: true,
      drift: [],
      driftBefore: [{ kind: 'function-missing' }],
      repairs: [{ appId: app.appId, status: 'repaired' }],
    });
    await expect(
      clients.lambda.send(new GetFunctionCommand({ FunctionName: lambdaName(app) })),
    ).resolves.toBeDefined();
    expect((await cli(['verify'], env.vars)).code).toBe(0);
  });

  it('alerts through the same webhooks and metrics as reconcile, under a Pushgateway group of its own', async () => {
    const receiver = await startHttpReceiver();
    try {
      // Prepare: webhooks and a Pushgateway on a local receiver; one app provisioned by reconcile
      const env = await e2eEnv({
        APPS_DEPLOYER_ALERT_WEBHOOK_URL: `${receiver.url}/hooks/alert`,
        APPS_DEPLOYER_NOTIFY_WEBHOOK_URL: `${receiver.url}/hooks/notify`,
        APPS_DEPLOYER_PUSHGATEWAY_URL: `${receiver.url}/pg`,
      });
      const app = await makeApp(uniqueAppId('va'), '1.0.0');
      await put(clients.s3, env.releaseBucket, app.key, app.bytes);
      expect((await cli(['reconcile'], env.vars)).code).toBe(0);
      const at = (path: string) => receiver.requests.filter((r) => r.url === path);
      const reconcileGroup = at('/pg/metrics/job/apps_deployer').length;
      const verifyGroup = '/pg/metrics/job/apps_deployer_verify';

      // Act + assess: clean → metrics PUT (success time), no alert
      expect((await cli(['verify'], env.vars)).code).toBe(0);
      expect(at('/hooks/alert')).toHaveLength(0);
      expect(at(verifyGroup).map((r) => r.method)).toEqual(['PUT']);
      expect(at(verifyGroup)[0]?.body).toMatch(/^apps_deployer_verify_drift 0$/m);
      expect(at(verifyGroup)[0]?.body).toMatch(/^apps_deployer_verify_last_success_timestamp_seconds /m);

      // drift → one alert naming it, metrics POSTed (the last success time stays in the group)
      await clients.lambda.send(new DeleteFunctionCommand({ FunctionName: lambdaName(app) }));
      expect((await cli(['verify'], env.vars)).code).toBe(1);
      const alerts = at('/hooks/alert');
      expect(alerts).toHaveLength(1);
      const alert = JSON.parse(alerts[0]?.body ?? '{}') as { text: string; username: string };
      expect(alert.username).toBe('apps-deployer');
      expect(alert.text).toContain('function-missing');
      expect(alert.text).toContain(lambdaName(app));
      expect(alert.text).toContain('verify --repair');
      expect(at(verifyGroup).map((r) => r.method)).toEqual(['PUT', 'POST']);
      expect(at(verifyGroup)[1]?.body).toMatch(/^apps_deployer_verify_drift 1$/m);
      expect(at(verifyGroup)[1]?.body).not.toMatch(/last_success/);

      // a partial run (--only) alerts but pushes no metrics: it says nothing of the whole fleet
      expect((await cli(['verify', '--only', app.appId], env.vars)).code).toBe(1);
      expect(at('/hooks/alert')).toHaveLength(2);
      expect(at(verifyGroup)).toHaveLength(2);

      // --repair → a notification of the repair, metrics PUT again, no new alert
      expect((await cli(['verify', '--repair'], env.vars)).code).toBe(0);
      const notes = at('/hooks/notify').map((r) => (JSON.parse(r.body) as { text: string }).text);
      expect(notes.filter((t) => /repaired 1 version/.test(t))).toHaveLength(1);
      expect(at('/hooks/alert')).toHaveLength(2);
      expect(at(verifyGroup).map((r) => r.method)).toEqual(['PUT', 'POST', 'PUT']);
      // verify never pushed to reconcile's group
      expect(at('/pg/metrics/job/apps_deployer')).toHaveLength(reconcileGroup);
    } finally {
      await receiver.close();
    }
  });
});
