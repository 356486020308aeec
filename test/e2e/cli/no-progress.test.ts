/**
 * Progress bars are for terminals only: `provision` and `reconcile` with stderr not a TTY (a CI log, a
 * CronJob's pod log) print no progress bar, no status line and no cursor control, only JSON log lines
 * on stderr; the summary is printed once on stdout.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { bundleBuffer, simpleAppSpec, tempDir, writeBundle } from '../../support/bundle-builder';
import { testClients } from '../../support/emulator';
import { assertBuilt, cli, e2eEnv, put, uniqueAppId, PREFIX } from '../reconcile/support';

jest.setTimeout(300_000);

const clients = testClients();

/** What only a terminal's progress output contains. */
function assertNoProgress(label: string, stderr: string): void {
  expect({ label, cursorControl: stderr.includes('\r') || stderr.includes('\u001b') }).toEqual({
    label,
    cursorControl: false,
  });
  expect({ label, bars: /[↑↓]|\[[#-]{20}\]/.test(stderr) }).toEqual({ label, bars: false });
  for (const line of stderr.split('\n').filter((l) => l !== ''))
    expect({ label, json: line.startsWith('{') && line.endsWith('}') }).toEqual({ label, json: true });
}

describe('no progress output when stderr is not a terminal (built CLI, subprocess)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    assertBuilt();
    ({ dir, cleanup } = await tempDir('no-progress-e2e-'));
  });
  afterAll(async () => {
    await cleanup();
    clients.s3.destroy();
  });

  it('provision and reconcile of bundles with a large asset print JSON logs only, the summary once', async () => {
    // Prepare: bundles with a 2 MiB asset (streamed in many chunks)
    const env = await e2eEnv({ APPS_DEPLOYER_LOG_LEVEL: 'info' });
    const withBigAsset = async (appId: string) => {
      const spec = await simpleAppSpec(appId, '1.0.0');
      spec.static = { ...spec.static, 'big.bin': randomBytes(2 * 1024 * 1024) };
      return spec;
    };
    const local = uniqueAppId('np');
    const file = await writeBundle(path.join(dir, 'local.zip'), await withBigAsset(local));
    const released = uniqueAppId('np');
    await put(
      clients.s3,
      env.releaseBucket,
      `${PREFIX}${released}_1.0.0.zip`,
      await bundleBuffer(await withBigAsset(released)),
    );

    // Act
    const provisioned = await cli(['provision', file], env.vars);
    const reconciled = await cli(['reconcile'], env.vars);

    // Assess
    expect({ code: provisioned.code, stdout: provisioned.stdout }).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`provisioned ${local} 1.0.0`),
    });
    expect(reconciled.code).toBe(0);
    assertNoProgress('provision', provisioned.stderr);
    assertNoProgress('reconcile', reconciled.stderr);
    expect(provisioned.stdout.match(/^provisioned /gm)).toHaveLength(1);
    expect(reconciled.stdout.match(/^Run \S+: /gm)).toHaveLength(1);
    expect(reconciled.stdout).toContain(released); // the bundle's row, once
    expect(reconciled.stdout.split(released)).toHaveLength(2);
    // the JSON log still has the steps, with app id and version
    expect(provisioned.stderr).toContain('"step":"asset"');
  });
});
