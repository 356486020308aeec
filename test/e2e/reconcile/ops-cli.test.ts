/**
 * Day-2 pieces through the built CLI (subprocess, `npm run build` first): a reconcile removes the temp
 * directory a killed run left in its temp root (TMPDIR) and logs it, leaving what is not its own;
 * `status APP_ID` shows the storage of the app's versions.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { tempDir } from '../../support/bundle-builder';
import { testClients } from '../../support/emulator';
import { assertBuilt, cli, e2eEnv, makeApp, put, uniqueAppId } from './support';

jest.setTimeout(180_000);

let s3: S3Client;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  assertBuilt();
  s3 = testClients().s3;
  ({ dir, cleanup } = await tempDir('ops-e2e-'));
});
afterAll(async () => {
  s3.destroy();
  await cleanup();
});

function leftBehind(name: string, idleSeconds: number): string {
  const at = Date.now() / 1000 - idleSeconds;
  const d = path.join(dir, name);
  mkdirSync(d);
  writeFileSync(path.join(d, 'bundle-0.zip'), 'partial');
  utimesSync(path.join(d, 'bundle-0.zip'), at, at);
  utimesSync(d, at, at);
  return d;
}

describe('day-2 operations through the CLI', () => {
  it('sweeps a killed run’s temp directory, provisions, and status APP_ID shows the storage', async () => {
    // Prepare: a run killed an hour ago left its directory; another program's directory beside it
    const env = await e2eEnv({ TMPDIR: dir, APPS_DEPLOYER_LOCK_TTL_SECONDS: '60' });
    const gonePid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const killed = leftBehind(`apps-deployer-${gonePid}-Kil001`, 3600);
    leftBehind('apps-deployer-chart-Abc123', 3600);
    const app = await makeApp(uniqueAppId('ops'), '1.0.0');
    await put(s3, env.releaseBucket, app.key, app.bytes);

    // Act
    const run = await cli(['reconcile', '--json'], env.vars);
    const status = await cli(['status', app.appId, '--json'], env.vars);
    const human = await cli(['status', app.appId], env.vars);

    // Assess
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(dir)).toEqual(['apps-deployer-chart-Abc123']);
    const swept = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; dir?: string })
      .filter((l) => l.msg === 'temp sweep: removed a temp directory left by a killed run');
    expect(swept.map((l) => l.dir)).toEqual([killed]);

    expect(status.code).toBe(0);
    const fnZip = Object.values(app.spec.functions ?? {})[0] as Buffer;
    const doc = JSON.parse(status.stdout) as { storage?: Record<string, unknown> };
    expect(doc.storage).toMatchObject({
      functions: 1,
      functionCodeBytes: fnZip.length,
      stagedCodeObjects: 1,
      stagedCodeBytes: fnZip.length,
      unaccounted: [],
    });
    expect(human.stdout).toContain(`Storage of ${app.appId}`);
  });

  it('provision sweeps too, once it holds the lock', async () => {
    const env = await e2eEnv({ TMPDIR: dir, APPS_DEPLOYER_LOCK_TTL_SECONDS: '60' });
    const gonePid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const killed = leftBehind(`apps-deployer-validate-${gonePid}-Kil002`, 3600);
    const app = await makeApp(uniqueAppId('opp'), '1.0.0');
    const file = path.join(dir, 'bundle.zip');
    writeFileSync(file, app.bytes);
    const vars = {
      ...env.vars,
      APPS_PROVISION_AWS_ACCESS_KEY: env.vars.AWS_ACCESS_KEY_ID ?? 'testing',
      APPS_PROVISION_AWS_SECRET_KEY: env.vars.AWS_SECRET_ACCESS_KEY ?? 'testing',
    };
    const run = await cli(['provision', file, '--json'], vars);
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(dir)).not.toContain(path.basename(killed));
    expect(run.stderr).toContain('temp sweep: removed a temp directory left by a killed run');
  });
});
