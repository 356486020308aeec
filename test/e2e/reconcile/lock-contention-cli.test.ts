/**
 * One writer, end to end: a second `apps-deployer reconcile` started while a first one holds the lock,
 * mid-way through its writes, exits 3 naming that run, and writes nothing. The race is held open on
 * purpose: a fault proxy between the CLIs and the emulator holds the first run's first CreateFunction
 * until the second run has exited, so the outcome does not depend on how fast either process starts or
 * runs (the simultaneous start is in reconcile-cli.test.ts).
 */
import { startFaultProxy } from '../../support/fault-proxy';
import {
  assertI1,
  builtCliSuite,
  cli,
  e2eEnv,
  getJson,
  listKeys,
  makeApp,
  put,
  startCli,
  uniqueAppId,
  type App,
  type CliResult,
} from './support';
import type { RunReport } from '../../../src/reconcile/types';

jest.setTimeout(300_000);

const clients = builtCliSuite();
const show = (r: CliResult): string =>
  `exit ${r.code} signal ${r.signal}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`;

describe('reconcile lock contention (built CLI, subprocess)', () => {
  it('a run started while another holds the lock mid-provisioning exits 3 naming it; the holder provisions each app once', async () => {
    // Prepare: 3 new bundles; every request of both runs through a proxy that holds the first
    // CreateFunction (the first run's, one bundle at a time: the lock taken, IAM done, the first
    // bundle's code staged, no manifest yet)
    const env = await e2eEnv();
    const apps: App[] = [];
    for (let i = 0; i < 3; i++) apps.push(await makeApp(uniqueAppId('lc'), '1.0'));
    for (const app of apps) await put(clients.s3, env.releaseBucket, app.key, app.bytes);
    let openGate = (): void => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let holding = (): void => undefined;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const proxy = await startFaultProxy({
      target: process.env.AWS_ENDPOINT_URL ?? '',
      rules: [
        {
          name: 'hold-first-create',
          match: { service: 'lambda', operation: 'CreateFunction' },
          action: { kind: 'hold', until: gate },
          times: 1,
        },
      ],
      onRequest: (r) => {
        if (r.service === 'lambda' && r.operation === 'CreateFunction') holding();
      },
    });
    const vars = { ...env.vars, AWS_ENDPOINT_URL: proxy.url };
    try {
      // Act: the first run, up to its held CreateFunction; then the second run, to its end
      const first = startCli(['reconcile', '--json', '--concurrency', '1'], vars);
      const endedEarly = await Promise.race([held.then(() => undefined), first.done]);
      if (endedEarly) throw new Error(`the first run ended before any CreateFunction: ${show(endedEarly)}`);
      const lockDuring = await getJson(clients.s3, env.appsBucket, 'deployer/lock');
      const second = await cli(['reconcile', '--json'], vars);
      const manifestsWhileHeld = await listKeys(clients.s3, env.appsBucket, 'manifests/');
      openGate();
      const winner = await first.done;

      // Assess: the first run held the lock while the second tried; the second named it, did nothing
      expect(lockDuring).toMatchObject({ pid: first.child.pid });
      expect({ code: second.code, stdout: second.stdout }).toEqual({ code: 3, stdout: '' });
      expect(second.stderr).toContain(
        `another reconcile holds the lock s3://${env.appsBucket}/deployer/lock: ` +
          `run ${String(lockDuring.runId)} on ${String(lockDuring.host)} (pid ${first.child.pid}) since`,
      );
      expect(second.stderr).toMatch(/apps-deployer unlock/);
      expect(manifestsWhileHeld).toEqual([]); // the first run was still mid-way

      // Assess: the first run finished alone; each app provisioned once, one run record, no lock left
      expect(winner.code).toBe(0);
      const r = JSON.parse(winner.stdout) as RunReport;
      expect(r.runId).toBe(lockDuring.runId);
      expect(r.counts).toEqual({ provisioned: 3 });
      for (const app of apps) await assertI1(clients, env.appsBucket, app);
      expect(proxy.count({ service: 'lambda', operation: 'CreateFunction' })).toBe(3);
      expect(await listKeys(clients.s3, env.appsBucket, 'deployer/runs/')).toEqual([r.recordKey]);
      expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual([]);
    } finally {
      openGate();
      await proxy.close();
    }
  });
});
