/**
 * The human summary and the run record are one source of truth: the request count and the duration
 * that `reconcile` prints equal those of the run record it wrote (the record's own write and the
 * lock's release come after it and are counted by neither).
 */
import type { RunReport } from '../../../src/reconcile/types';
import { formatDuration } from '../../../src/reconcile/observers/format';
import { builtCliSuite, cli, e2eEnv, getJson, listKeys, makeApp, put, uniqueAppId } from './support';

jest.setTimeout(180_000);

const clients = builtCliSuite();

const SUMMARY = /^Run (\S+): .* — (\S+), (\d+) AWS requests?, exit (\d+)$/m;

describe('reconcile summary and run record', () => {
  it('prints the run record’s request count and duration, for a run with work and a no-op run', async () => {
    // Prepare
    const env = await e2eEnv({ APPS_DEPLOYER_LOG_LEVEL: 'warn' });
    const app = await makeApp(uniqueAppId('sum'), '1.0.0');
    await put(clients.s3, env.releaseBucket, app.key, app.bytes);

    for (const label of ['work', 'no-op']) {
      // Act
      const run = await cli(['reconcile'], env.vars);

      // Assess
      expect({ label, code: run.code, stderr: run.stderr }).toEqual({ label, code: 0, stderr: '' });
      const m = SUMMARY.exec(run.stdout);
      if (!m) throw new Error(`no summary line in:\n${run.stdout}`);
      const [, runId, duration, requests] = m;
      const keys = (await listKeys(clients.s3, env.appsBucket, 'deployer/runs/')).filter((k) =>
        k.includes(runId ?? '?'),
      );
      expect(keys).toHaveLength(1);
      expect(run.stdout).toContain(`Run record ${keys[0]}`);
      const record = (await getJson(clients.s3, env.appsBucket, keys[0] ?? '')) as unknown as RunReport;
      const recorded = Object.values(record.requests).reduce((a, b) => a + b, 0);
      expect({ label, requests: Number(requests), duration }).toEqual({
        label,
        requests: recorded,
        duration: formatDuration(record.durationMs),
      });
    }
  });
});
