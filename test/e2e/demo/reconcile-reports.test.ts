/**
 * The reports of a real `apps-deployer reconcile` (built CLI, test backend): Mattermost webhook
 * messages and Pushgateway metrics reach local HTTP receivers; a rejection is alerted once, in the
 * run that finds it; the webhook URLs (secrets) never appear in the output or the logs.
 */
import { testClients } from '../../support/emulator';
import { startHttpReceiver, type HttpReceiver } from '../../support/http-receiver';
import { assertBuilt, cli, e2eEnv, makeApp, put, uniqueAppId } from '../reconcile/support';
import { bundleBuffer } from '../../support/bundle-builder';

jest.setTimeout(120_000);

const SECRET = 'hooks/xq7s3cr3tw3bh00k';

function texts(r: HttpReceiver): string[] {
  return r.requests.map((q) => (JSON.parse(q.body) as { text: string; username: string }).text);
}

function sample(body: string, name: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('reconcile reports', () => {
  let notify: HttpReceiver;
  let alert: HttpReceiver;
  let gateway: HttpReceiver;

  beforeAll(async () => {
    assertBuilt();
    notify = await startHttpReceiver();
    alert = await startHttpReceiver();
    gateway = await startHttpReceiver();
  });
  afterAll(async () => {
    await Promise.all([notify.close(), alert.close(), gateway.close()]);
  });

  it('notifies each deployment, alerts a rejection once, pushes metrics every run', async () => {
    // Prepare
    const { s3 } = testClients();
    const env = await e2eEnv({
      APPS_DEPLOYER_NOTIFY_WEBHOOK_URL: `${notify.url}/${SECRET}-notify`,
      APPS_DEPLOYER_ALERT_WEBHOOK_URL: `${alert.url}/${SECRET}-alert`,
      APPS_DEPLOYER_PUSHGATEWAY_URL: `${gateway.url}/`,
    });
    const good = await makeApp(uniqueAppId('rep'), '1.0.0');
    const badApp = await makeApp(uniqueAppId('bad'), '1.0.0');
    const badManifest = { ...(badApp.spec.manifest as Record<string, unknown>), homepage_url: 'ftp://nope' };
    await put(s3, env.releaseBucket, good.key, good.bytes);
    await put(
      s3,
      env.releaseBucket,
      badApp.key,
      await bundleBuffer({ ...badApp.spec, manifest: badManifest }),
    );
    s3.destroy();

    // Act
    const first = await cli(['reconcile'], env.vars);
    const afterFirst = { notify: notify.requests.length, alert: alert.requests.length };
    const second = await cli(['reconcile'], env.vars);

    // Assess: first run
    expect(first.code).toBe(1);
    expect(afterFirst).toEqual({ notify: 1, alert: 1 });
    expect(notify.requests[0]!.url).toBe(`/${SECRET}-notify`);
    expect(JSON.parse(notify.requests[0]!.body)).toMatchObject({ username: 'apps-deployer' });
    expect(texts(notify)[0]).toContain(`Deployed \`${good.appId}\` version \`1.0.0\``);
    expect(texts(alert)[0]).toContain(`Rejected release bundle \`${badApp.appId}\``);
    expect(texts(alert)[0]).toContain('$.homepage_url');
    const push1 = gateway.requests[0]!;
    expect(push1.method).toBe('POST');
    expect(push1.url).toBe('/metrics/job/apps_deployer');
    expect(sample(push1.body, 'apps_deployer_bundles{outcome="provisioned"}')).toBe(1);
    expect(sample(push1.body, 'apps_deployer_bundles{outcome="rejected"}')).toBe(1);
    expect(sample(push1.body, 'apps_deployer_last_run_exit_code')).toBe(1);
    expect(push1.body).not.toContain('apps_deployer_last_success_timestamp_seconds');

    // Assess: second run — nothing new to say, a success to record
    expect(second.code).toBe(0);
    expect(notify.requests).toHaveLength(1);
    expect(alert.requests).toHaveLength(1);
    expect(gateway.requests).toHaveLength(2);
    const push2 = gateway.requests[1]!;
    expect(push2.method).toBe('PUT');
    expect(sample(push2.body, 'apps_deployer_bundles{outcome="skipped"}')).toBe(2);
    expect(sample(push2.body, 'apps_deployer_last_success_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 120,
    );

    for (const out of [first.stdout, first.stderr, second.stdout, second.stderr])
      expect(out).not.toContain(SECRET);
  });

  it('logs an unreachable webhook and still converges', async () => {
    // Prepare
    const { s3 } = testClients();
    const gone = await startHttpReceiver();
    await gone.close();
    const env = await e2eEnv({ APPS_DEPLOYER_NOTIFY_WEBHOOK_URL: `${gone.url}/${SECRET}` });
    const app = await makeApp(uniqueAppId('off'), '2.0.0');
    await put(s3, env.releaseBucket, app.key, app.bytes);
    s3.destroy();
    // Act
    const run = await cli(['reconcile'], env.vars);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('webhook message not delivered');
    expect(run.stderr).not.toContain(SECRET);
  });
});
