/**
 * Failure classes end to end against the emulator (moto server), with the fault proxy
 * (test/support/fault-proxy.ts) between the SDK and moto where moto cannot refuse what AWS refuses:
 *
 *  - permanent: a bundle Lambda refuses after our validation is marked failed once, alerted once
 *    (webhook to a real local HTTP receiver), not retried by the next run (exit 0, a known failure in
 *    the plan and in `status`), and retried by `--retry-failed --only APP_ID`;
 *  - configuration: access denied → the run stops, exit 2, nothing marked, no new bundle started;
 *  - an error of no known class: transient, logged with its class name, nothing marked, retried;
 *  - size before download: an object listed over the limit is rejected without a GetObject.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { createAwsPorts } from '../../../src/aws/clients';
import type { AwsPorts } from '../../../src/aws/ports';
import { ExitCode } from '../../../src/errors';
import { ListingBudget, listedObjectCost } from '../../../src/reconcile/listing';
import { createObservers } from '../../../src/reconcile/observers';
import { canonicalStem, markerKey } from '../../../src/reconcile/markers';
import { getStatus } from '../../../src/status';
import { tempDir } from '../../support/bundle-builder';
import { testAwsConfig } from '../../support/emulator';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { startHttpReceiver, type HttpReceiver } from '../../support/http-receiver';
import { freshEnv, keys, outcomes, readJson, run, uniqueAppId, uploadApp, type Env, PREFIX } from './support';

jest.setTimeout(180_000);

let dir: string;
let cleanup: () => Promise<void>;
let proxy: FaultProxy;
let receiver: HttpReceiver;
const envs: Env[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('reconcile-failures-'));
  proxy = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL ?? '', seed: 7 });
  receiver = await startHttpReceiver();
});
afterAll(async () => {
  for (const e of envs) e.s3.destroy();
  await proxy.close();
  await receiver.close();
  await cleanup();
});
afterEach(() => proxy.clearRules());

/** A fresh environment whose deployer talks to moto through the proxy. */
async function env(): Promise<{ e: Env; ports: () => AwsPorts }> {
  const e = await freshEnv(dir, { alertWebhookUrl: `${receiver.url}/hooks/alert` });
  envs.push(e);
  const aws = { ...testAwsConfig(), endpoint: proxy.url, maxAttempts: 1 };
  e.config = { ...e.config, aws };
  return { e, ports: () => createAwsPorts(aws, { lambdaRequestsPerSecond: 50 }) };
}

/** A logger whose JSON lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const sanitized = (appId: string) => appId.replace(/\./g, '-');
const observers = (e: Env) =>
  createObservers(e.config, pino({ level: 'silent' }), { tty: false, json: true });
const alertsAbout = (appId: string) => receiver.requests.filter((r) => r.body.includes(appId));

describe('failure classes (emulator + fault proxy)', () => {
  it('a bundle AWS refuses after validation: marked failed once, alerted once, known afterwards, retried on an operator’s word', async () => {
    const { e, ports } = await env();
    const bad = uniqueAppId('perm');
    const good = uniqueAppId('ok');
    const refused = await uploadApp(e, bad, '1.0');
    await uploadApp(e, good, '1.0');
    // Lambda refuses this app's code (moto does not check zips): what AWS answers a corrupt function zip
    proxy.addRule({
      name: 'refuse-code',
      match: { service: 'lambda', operation: 'CreateFunction', body: new RegExp(sanitized(bad)) },
      action: {
        kind: 'error',
        status: 400,
        code: 'InvalidParameterValueException',
        message: 'Could not unzip uploaded file. Please check your file, then try to upload again.',
      },
    });

    // Run 1: the refused bundle fails permanently; the other is provisioned
    const first = await run(e, { observers: observers(e) }, { ports: ports() });
    expect(outcomes(first)[refused.key]).toMatch(/^failed/);
    expect(first.report.bundles.find((b) => b.releaseKey === refused.key)?.outcome).toMatchObject({
      status: 'failed',
      failureClass: 'permanent',
      errorName: 'InvalidParameterValueException',
    });
    expect(outcomes(first)[`${PREFIX}${good}_1.0.zip`]).toBe('provisioned');
    expect(first.report.exitCode).toBe(ExitCode.Failed);
    const failedMarker = markerKey({
      stem: canonicalStem(bad, '1.0'),
      etag: refused.etag,
      outcome: 'failed',
    });
    expect(await keys(e, `deployer/seen/${canonicalStem(bad, '1.0')}/`)).toEqual([failedMarker]);
    expect(await readJson(e, failedMarker)).toMatchObject({
      outcome: 'failed',
      errorName: 'InvalidParameterValueException',
      failureRule: 'lambda-code-invalid',
    });
    expect(await keys(e, `manifests/${bad}`)).toEqual([]); // nothing published
    expect(alertsAbout(bad)).toHaveLength(1); // the run drains its observers before it returns
    expect(alertsAbout(bad)[0]?.body).toMatch(/--retry-failed --only/);

    // Run 2 (AWS would still refuse it): not retried, no CreateFunction, exit 0, no new alert
    const creates = proxy.count({ service: 'lambda', operation: 'CreateFunction' });
    const second = await run(e, { observers: observers(e) }, { ports: ports() });
    expect(second.report.exitCode).toBe(ExitCode.Ok);
    expect(second.plan?.items.find((i) => i.releaseKey === refused.key)?.action).toBe('known-failure');
    expect(proxy.count({ service: 'lambda', operation: 'CreateFunction' })).toBe(creates);
    expect(second.report.requests['S3.GetObject'] ?? 0).toBe(0);
    expect(alertsAbout(bad)).toHaveLength(1);
    const status = await getStatus(ports().s3, {
      appsBucket: e.appsBucket,
      releaseBucket: e.releaseBucket,
      releasePrefix: PREFIX,
    });
    expect(status.failed.map((f) => [f.releaseKey, f.markerKey])).toEqual([[refused.key, failedMarker]]);
    // the listing names the verdict; `status APP_ID` reads its marker for the reason AWS gave
    const detailed = await getStatus(
      ports().s3,
      { appsBucket: e.appsBucket, releaseBucket: e.releaseBucket, releasePrefix: PREFIX },
      { appId: bad },
    );
    expect(detailed.failed[0]?.message).toMatch(/Could not unzip/);

    // Run 3: the operator fixed the cause (the proxy lets it through) and retries that app alone
    proxy.clearRules();
    const third = await run(e, { retryFailed: true, only: bad }, { ports: ports() });
    expect(outcomes(third)).toEqual({ [refused.key]: 'provisioned' });
    expect(third.report.exitCode).toBe(ExitCode.Ok);
    expect(await keys(e, `manifests/${bad}`)).toEqual([`manifests/${bad}_1.0.json`]);
    expect(await keys(e, `deployer/seen/${canonicalStem(bad, '1.0')}/`)).toEqual([
      markerKey({ stem: canonicalStem(bad, '1.0'), etag: refused.etag, outcome: 'provisioned' }),
    ]);
  });

  it('a configuration error (access denied) stops the run with exit 2 and marks nothing', async () => {
    const { e, ports } = await env();
    const a = await uploadApp(e, uniqueAppId('cfg'), '1.0');
    const b = await uploadApp(e, uniqueAppId('cfg'), '1.0');
    proxy.addRule({
      match: { service: 'iam' },
      action: {
        kind: 'error',
        status: 403,
        code: 'AccessDenied',
        message: 'User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: iam:GetRole',
      },
    });
    const result = await run(e, { concurrency: 1 }, { ports: ports() });
    expect(result.report.exitCode).toBe(ExitCode.Usage);
    expect(result.report.error).toMatchObject({ code: 'AWS_CONFIGURATION' });
    expect(result.report.error?.message).toMatch(/AccessDenied.*iam:GetRole.*deployer-policy\.json/s);
    // the first bundle met the error; the second was never started
    const [first, second] = [a, b].sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(result.report.bundles.find((x) => x.releaseKey === first!.key)?.outcome).toMatchObject({
      status: 'failed',
      failureClass: 'configuration',
    });
    expect(result.report.bundles.find((x) => x.releaseKey === second!.key)?.outcome).toMatchObject({
      status: 'failed',
      code: 'AWS_CONFIGURATION',
    });
    expect(await keys(e, 'deployer/seen/')).toEqual([]);
    expect(await keys(e, 'manifests/')).toEqual([]);
  });

  it('listings past the heap budget stop the run with exit 2 before any bundle work: the record written, the lock released', async () => {
    // Prepare: 4 bundles; a budget that holds 3 listed objects
    const { e, ports } = await env();
    for (let i = 0; i < 4; i++) await uploadApp(e, uniqueAppId('flood'), '1.0');
    const release = await keys(e, PREFIX, e.releaseBucket);
    const budget = new ListingBudget(release.slice(0, 3).reduce((a, k) => a + listedObjectCost(k), 0));
    // Act
    const result = await run(e, { pageSize: 1, listingBudget: budget }, { ports: ports() });
    // Assess: exit 2, the prefix and the fix named; nothing judged, marked or deployed
    expect(result.report.exitCode).toBe(ExitCode.Usage);
    expect(result.report.error).toMatchObject({ code: 'LISTING_TOO_LARGE' });
    expect(result.report.error?.message).toMatch(
      new RegExp(`heap \\(\\d+ MB\\) can plan .*s3://${e.releaseBucket}/${PREFIX}`),
    );
    expect(result.report.bundles).toEqual([]);
    expect(await keys(e, 'deployer/seen/')).toEqual([]);
    expect(await keys(e, 'manifests/')).toEqual([]);
    // the run record was written (while the lock was held), then the lock released
    const records = await keys(e, 'deployer/runs/');
    expect(records).toHaveLength(1);
    expect(await readJson(e, records[0]!)).toMatchObject({ exitCode: ExitCode.Usage });
    expect(await keys(e, 'deployer/lock')).toEqual([]);
  });

  it('an error of no known class is transient: logged with its class name, nothing marked, retried by the next run', async () => {
    const { e, ports } = await env();
    const app = await uploadApp(e, uniqueAppId('unk'), '1.0');
    proxy.addRule({
      match: {
        service: 'lambda',
        operation: 'CreateFunction',
        body: new RegExp(sanitized(app.key.slice(PREFIX.length, -'_1.0.zip'.length))),
      },
      action: {
        kind: 'error',
        status: 400,
        code: 'FancyNewException',
        message: 'something AWS never said before',
      },
      times: 1,
    });
    const log = capturingLogger();
    const first = await run(e, {}, { ports: ports(), logger: log.logger });
    expect(first.report.bundles[0]?.outcome).toMatchObject({
      status: 'failed',
      failureClass: 'transient',
      errorName: 'FancyNewException',
    });
    const line = log.lines().find((l) => String(l.msg).includes('no known class'));
    expect(line?.msg).toContain('FancyNewException');
    expect(line?.err).toMatchObject({ name: 'FancyNewException', class: 'transient', rule: 'unknown' });
    expect(await keys(e, 'deployer/seen/')).toEqual([]);

    const second = await run(e, {}, { ports: ports() });
    expect(second.plan?.items[0]?.action).toBe('provision');
    expect(outcomes(second)).toEqual({ [app.key]: 'provisioned' });
  });

  it('an object listed over the size limit is rejected from the listing, without a GetObject', async () => {
    const { e, ports } = await env();
    const big = await uploadApp(e, uniqueAppId('big'), '1.0');
    const limit = big.bytes.length - 1;
    const p = ports();
    const result = await run(e, { maxBundleBytes: limit }, { ports: p });
    expect(result.report.bundles[0]).toMatchObject({
      action: 'reject-oversized',
      outcome: { status: 'rejected', issues: [{ code: 'BUNDLE_TOO_LARGE' }] },
    });
    expect(p.requests.snapshot()['S3.GetObject']).toBeUndefined();
    expect(proxy.count({ service: 's3', operation: 'GetObject', bucket: e.releaseBucket })).toBe(0);
    const stem = canonicalStem(big.key.slice(PREFIX.length, -'_1.0.zip'.length), '1.0');
    expect(await keys(e, `deployer/seen/${stem}/`)).toEqual([
      markerKey({ stem, etag: big.etag, outcome: 'rejected' }),
    ]);
    const again = await run(e, { maxBundleBytes: limit }, { ports: ports() });
    expect(again.plan?.items[0]?.action).toBe('known-rejection');
    expect(again.report.exitCode).toBe(ExitCode.Ok);
  });
});
