/**
 * `apps-deployer status` after `provision` (the built CLI as a subprocess against the test backend):
 * provision runs are listed beside reconcile runs, the list of runs says when it is capped
 * (`--runs N` shows more), and `status APP_ID` shows the release object's drift after
 * `provision --update` from disk.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { simpleAppSpec, tempDir, writeBundle } from '../../support/bundle-builder';
import { testClients } from '../../support/emulator';
import type { StatusReport } from '../../../src/status/types';
import { assertBuilt, cli, e2eEnv, makeApp, put, uniqueAppId, type E2eEnv } from '../reconcile/support';

jest.setTimeout(300_000);

const clients = testClients();
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('status after provision (built CLI, subprocess)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: E2eEnv;
  const appId = uniqueAppId('st');

  beforeAll(async () => {
    assertBuilt();
    ({ dir, cleanup } = await tempDir('status-e2e-'));
    env = await e2eEnv({ APPS_DEPLOYER_LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await cleanup();
    clients.s3.destroy();
  });

  it('lists provision runs, says when the list is capped, and shows the drift of provision --update', async () => {
    // Prepare: a released version provisioned by reconcile, and a rebuilt bundle of it on disk
    const app = await makeApp(appId, '1.0.0');
    await put(clients.s3, env.releaseBucket, app.key, app.bytes);
    const reconciled = await cli(['reconcile'], env.vars);
    expect({ code: reconciled.code, stderr: reconciled.stderr }).toEqual({ code: 0, stderr: '' });
    const rebuilt = await writeBundle(
      path.join(dir, 'rebuilt.zip'),
      await simpleAppSpec(appId, '1.0.0', { body: 'rebuilt' }),
    );

    // Act: a refused provision (versions are immutable), then provision --update
    const refused = await cli(['provision', rebuilt], env.vars);
    const updated = await cli(['provision', rebuilt, '--update'], env.vars);
    const fleet = await cli(['status'], env.vars);
    const capped = await cli(['status', '--runs', '2'], env.vars);
    const cappedJson = await cli(['status', '--runs', '1', '--json'], env.vars);
    const one = await cli(['status', appId], env.vars);
    const badRuns = await cli(['status', '--runs', 'many'], env.vars);
    const help = await cli(['status', '--help'], env.vars);

    // Assess: the provisions
    expect(refused.code).toBe(1);
    expect(updated.code).toBe(0);

    // Assess: every run listed, the provision ones by kind, file and version
    expect(fleet.code).toBe(0);
    expect(fleet.stdout).toContain('Last runs (3)');
    const who = `${escape(appId)} 1\\.0\\.0 from rebuilt\\.zip`;
    expect(fleet.stdout).toMatch(new RegExp(`provision --update ${who} +\\S+ +0 +\\d+ +1 provisioned`));
    expect(fleet.stdout).toMatch(new RegExp(`provision ${who} +\\S+ +1 +\\d+ +1 conflict`));
    expect(fleet.stdout).toMatch(/ reconcile +\S+ +0 +\d+ +1 provisioned/);

    // Assess: capped, with how to see more
    expect(capped.stdout).toContain('Last runs (2 of 3, newest first; `status --runs N` shows more)');
    const doc = JSON.parse(cappedJson.stdout) as StatusReport;
    expect(doc.runsTotal).toBe(3);
    expect(doc.runs.map((r) => [r.kind, r.provision?.update])).toEqual([['provision', true]]);

    // Assess: the drift, naming both bundles
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('Release drift (1)');
    expect(one.stdout).toContain(`${appId} 1.0.0: runs bundle sha256 `);
    expect(one.stdout).toContain('provisioned from disk (provision --update)');
    expect(one.stdout).toContain(`release object ${app.key} (ETag `);
    expect(one.stdout).toContain(`is bundle sha256 ${sha(app.bytes)}`);
    expect(fleet.stdout).not.toContain('Release drift'); // the fleet view reads no manifest metadata…
    expect(fleet.stdout).toContain(
      // …and points at the view that does
      `${appId} 1.0.0 was redeployed from disk (provision --update): \`apps-deployer status ${appId}\``,
    );
    expect(one.stdout).not.toContain('was redeployed from disk');

    // Assess: --runs is checked and documented
    expect(badRuns.code).toBe(2);
    expect(badRuns.stderr).toContain('--runs "many"');
    expect(help.stdout).toContain('--runs <n>');
  });
});
