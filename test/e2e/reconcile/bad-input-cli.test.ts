/**
 * The bad-input suite through the built CLI (issue 8; the in-process run is
 * test/integration/reconcile/bad-input.test.ts): the bundle tests' hostile corpus among good bundles
 * in the release bucket, `apps-deployer reconcile` as a subprocess through the fault proxy (no fault
 * injected; it counts GetObject on the release bucket). Run 1: exit 1, every hostile bundle rejected
 * with its reason in the run record and its marker, nothing raw on the terminal, the good bundles
 * provisioned (I1), nothing else written. Run 2: exit 0 (known rejections), no GetObject on the
 * release bucket; `status --json` lists every rejection.
 */
import { ListFunctionsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { testClients } from '../../support/emulator';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { hostileReleases, REACHABLE_CASES } from '../../support/hostile-corpus';
import {
  assertBuilt,
  assertI1,
  cli,
  e2eEnv,
  getJson,
  listKeys,
  makeApp,
  put,
  uniqueAppId,
  PREFIX,
} from './support';

jest.setTimeout(600_000);

let s3: S3Client;
let lambda: LambdaClient;
let proxy: FaultProxy;

beforeAll(async () => {
  assertBuilt();
  ({ s3, lambda } = testClients());
  proxy = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL ?? '' });
});
afterAll(async () => {
  s3.destroy();
  lambda.destroy();
  await proxy.close();
});

// C0 but newline, C1, DEL: what a hostile entry name could put on an operator's terminal
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u;

interface Judged {
  releaseKey: string;
  outcome: { status: string; issues?: { code: string; severity: string }[] };
}

describe('bad input through `apps-deployer reconcile`', () => {
  it('exit 1 in the run that finds the hostile bundles, 0 on the next without downloading them', async () => {
    const env = await e2eEnv({ APPS_DEPLOYER_LOG_LEVEL: 'warn' });
    const vars = { ...env.vars, AWS_ENDPOINT_URL: proxy.url };
    const hostile = await hostileReleases(PREFIX);
    expect(hostile.length).toBe(REACHABLE_CASES.length);
    for (const h of hostile) await put(s3, env.releaseBucket, h.key, h.bytes);
    const good = [await makeApp(uniqueAppId('good'), '1.0'), await makeApp(uniqueAppId('good'), '2.0')];
    for (const g of good) await put(s3, env.releaseBucket, g.key, g.bytes);

    const first = await cli(['reconcile'], vars);
    expect({ code: first.code, stderr: first.code === 1 ? '' : first.stderr }).toEqual({
      code: 1,
      stderr: '',
    });
    expect(RAW_CONTROL.test(first.stdout) || RAW_CONTROL.test(first.stderr)).toBe(false);
    // the run record: each hostile bundle rejected with its reason
    const [recordKey, ...others] = await listKeys(s3, env.appsBucket, 'deployer/runs/');
    expect(others).toEqual([]);
    const record = (await getJson(s3, env.appsBucket, recordKey ?? '')) as unknown as {
      exitCode: number;
      counts: Record<string, number>;
      bundles: Judged[];
    };
    expect({ exitCode: record.exitCode, counts: record.counts }).toEqual({
      exitCode: 1,
      counts: { provisioned: good.length, rejected: hostile.length },
    });
    const byKey = new Map(record.bundles.map((b) => [b.releaseKey, b]));
    const seen = await listKeys(s3, env.appsBucket, 'deployer/seen/');
    expect(
      hostile.map((h) => ({
        case: h.name,
        status: byKey.get(h.key)?.outcome.status,
        reason: (byKey.get(h.key)?.outcome.issues ?? []).some(
          (i) => i.severity === 'error' && h.codes.includes(i.code),
        ),
        markers: seen.filter((k) => k.startsWith(`deployer/seen/${h.appId}_${h.version}/`)).length,
        downloads: proxy.count({
          service: 's3',
          operation: 'GetObject',
          bucket: env.releaseBucket,
          key: h.key,
        }),
      })),
    ).toEqual(
      hostile.map((h) => ({ case: h.name, status: 'rejected', reason: true, markers: 1, downloads: 1 })),
    );

    // the good bundles provisioned; nothing else written
    for (const g of good) await assertI1({ s3, lambda }, env.appsBucket, g);
    expect(await listKeys(s3, env.appsBucket, 'manifests/')).toEqual(
      good.map((g) => `manifests/${g.appId}_${g.version}.json`).sort(),
    );
    expect(await listKeys(s3, env.appsBucket, 'static/')).toEqual(
      good.map((g) => `static/${g.appId}_${g.version}_app/icon.png`).sort(),
    );
    expect(await listKeys(s3, env.appsBucket, 'deployer/code/')).toHaveLength(good.length);
    const names = (await lambda.send(new ListFunctionsCommand({ MaxItems: 10_000 }))).Functions ?? [];
    // a hostile bundle's functions would be named after its manifest's app id (the corpus's) or its key's
    const prefixes = ['com-example-hello_', ...hostile.map((h) => `${h.appId}_`)];
    expect(names.filter((f) => prefixes.some((p) => (f.FunctionName ?? '').startsWith(p)))).toEqual([]);

    // Run 2: known rejections, exit 0, nothing downloaded
    const gets = proxy.count({ service: 's3', operation: 'GetObject', bucket: env.releaseBucket });
    const second = await cli(['reconcile', '--json'], vars);
    expect({ code: second.code, stderr: second.code === 0 ? '' : second.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(proxy.count({ service: 's3', operation: 'GetObject', bucket: env.releaseBucket })).toBe(gets);
    const report = JSON.parse(second.stdout) as { bundles: unknown[]; unchanged: Record<string, number> };
    expect(report).toMatchObject({
      bundles: [],
      unchanged: { 'up-to-date': good.length, 'known-rejection': hostile.length },
    });
    const status = await cli(['status', '--json'], vars);
    const doc = JSON.parse(status.stdout) as { rejected: { releaseKey: string }[] };
    expect(doc.rejected.map((r) => r.releaseKey).sort()).toEqual(hostile.map((h) => h.key).sort());
  });
});
