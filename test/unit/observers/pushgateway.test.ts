import { PushgatewayObserver, metricsText, pushUrl } from '../../../src/reconcile/observers/pushgateway';
import { startHttpReceiver, type HttpReceiver } from '../../support/http-receiver';
import { capturingLogger, provisioned, rejected, runReport, skipped } from './fixtures';

function sample(body: string, name: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('PushgatewayObserver', () => {
  let gw: HttpReceiver;
  beforeEach(async () => {
    gw = await startHttpReceiver();
  });
  afterEach(async () => {
    await gw.close();
  });

  it('PUTs the whole group after a successful run, last success time included', async () => {
    // Prepare
    const cap = capturingLogger();
    const o = new PushgatewayObserver({ url: gw.url, logger: cap.logger, fetch: globalThis.fetch });
    const report = runReport(
      [provisioned('com.example.hello', '1.0.0'), skipped('com.example.old', '0.9.0')],
      0,
    );
    // Act
    await o.runDone(report);
    // Assess
    expect(gw.requests).toHaveLength(1);
    const r = gw.requests[0]!;
    expect(r.method).toBe('PUT');
    expect(r.url).toBe('/metrics/job/apps_deployer');
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(r.body.endsWith('\n')).toBe(true);
    expect(sample(r.body, 'apps_deployer_last_success_timestamp_seconds')).toBe(
      Date.parse('2024-01-01T10:00:12.500Z') / 1000,
    );
    expect(sample(r.body, 'apps_deployer_run_duration_seconds')).toBe(12.5);
    expect(sample(r.body, 'apps_deployer_last_run_exit_code')).toBe(0);
    expect(sample(r.body, 'apps_deployer_bundles{outcome="provisioned"}')).toBe(1);
    expect(sample(r.body, 'apps_deployer_bundles{outcome="skipped"}')).toBe(1);
    expect(sample(r.body, 'apps_deployer_bundles{outcome="rejected"}')).toBe(0);
    expect(r.body).toContain('# TYPE apps_deployer_bundles gauge');
  });

  it('POSTs without the last success time after a failed run, so the previous one is kept', async () => {
    // Prepare
    const cap = capturingLogger();
    const o = new PushgatewayObserver({ url: `${gw.url}/`, logger: cap.logger, fetch: globalThis.fetch });
    // Act
    await o.runDone(runReport([rejected('com.example.broken', '0.1.0')], 1));
    // Assess
    const r = gw.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/metrics/job/apps_deployer');
    expect(r.body).not.toContain('apps_deployer_last_success_timestamp_seconds');
    expect(sample(r.body, 'apps_deployer_last_run_exit_code')).toBe(1);
    expect(sample(r.body, 'apps_deployer_bundles{outcome="rejected"}')).toBe(1);
  });

  it('sends credentials in the URL as basic auth, keeps a path prefix, and never logs them', async () => {
    // Prepare
    gw.respondWith({ status: 401, body: 'unauthorized' });
    const cap = capturingLogger();
    const url = gw.url.replace('http://', 'http://metrics:pa55word@') + '/pushgateway';
    const o = new PushgatewayObserver({ url, logger: cap.logger, fetch: globalThis.fetch });
    // Act
    await expect(o.runDone(runReport([], 0))).resolves.toBeUndefined();
    // Assess
    const r = gw.requests[0]!;
    expect(r.url).toBe('/pushgateway/metrics/job/apps_deployer');
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from('metrics:pa55word').toString('base64')}`);
    expect(cap.text()).toContain('metrics not pushed');
    expect(cap.text()).toContain('HTTP 401');
    expect(cap.text()).not.toContain('pa55word');
  });

  it('gives up within its deadline and logs it', async () => {
    // Prepare
    gw.respondWith({ delayMs: 3000 });
    const cap = capturingLogger();
    const o = new PushgatewayObserver({
      url: gw.url,
      logger: cap.logger,
      fetch: globalThis.fetch,
      timeoutMs: 150,
    });
    const started = Date.now();
    // Act
    await o.runDone(runReport([], 0));
    // Assess
    expect(Date.now() - started).toBeLessThan(2500);
    expect(cap.text()).toContain('no answer within 150 ms');
  });

  it('pushes nothing for a dry run', async () => {
    const cap = capturingLogger();
    const o = new PushgatewayObserver({ url: gw.url, logger: cap.logger, fetch: globalThis.fetch });
    await o.runDone(runReport([], 0, { dryRun: true }));
    expect(gw.requests).toHaveLength(0);
  });

  it('builds the push URL and a stable series set', () => {
    expect(pushUrl('https://pgw.example.com')).toBe('https://pgw.example.com/metrics/job/apps_deployer');
    expect(pushUrl('https://pgw.example.com/base//')).toBe(
      'https://pgw.example.com/base/metrics/job/apps_deployer',
    );
    const text = metricsText(runReport([], 3));
    for (const o of ['provisioned', 'identical', 'rejected', 'conflict', 'failed', 'skipped'])
      expect(text).toContain(`apps_deployer_bundles{outcome="${o}"} 0`);
    expect(text).toContain('apps_deployer_last_run_exit_code 3');
  });
});

describe('metricsText size', () => {
  it('is the same for 1 and 10,000 unchanged bundles: counts only, no series per bundle', () => {
    const fleet = (n: number) =>
      runReport(
        Array.from({ length: n }, (_, i) => skipped(`com.example.app${i}`, '1.0.0')),
        0,
      );
    const one = metricsText(fleet(1));
    const many = metricsText(fleet(10_000));
    expect(many.split('\n')).toHaveLength(one.split('\n').length);
    expect(sample(many, 'apps_deployer_bundles{outcome="skipped"}')).toBe(10_000);
    expect(Buffer.byteLength(many)).toBeLessThan(2048);
  });
});
