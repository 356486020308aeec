import { MattermostWebhookObserver } from '../../../src/reconcile/observers/webhook';
import { startHttpReceiver, type HttpReceiver } from '../../support/http-receiver';
import {
  RUN_ID,
  capturingLogger,
  conflict,
  failed,
  item,
  plan,
  provisioned,
  rejected,
  runReport,
  skipped,
} from './fixtures';

describe('MattermostWebhookObserver', () => {
  let notify: HttpReceiver;
  let alert: HttpReceiver;
  const secretPath = '/hooks/s3cr3th00kid0123456789';

  beforeEach(async () => {
    notify = await startHttpReceiver();
    alert = await startHttpReceiver();
  });
  afterEach(async () => {
    await notify.close();
    await alert.close();
  });

  function observer(extra: { timeoutMs?: number; maxMessagesPerRun?: number } = {}) {
    const cap = capturingLogger();
    const o = new MattermostWebhookObserver({
      notifyUrl: `${notify.url}${secretPath}`,
      alertUrl: `${alert.url}${secretPath}-alert`,
      logger: cap.logger,
      fetch: globalThis.fetch,
      ...extra,
    });
    return { o, ...cap };
  }

  it('posts a notification per newly provisioned app and an alert per rejection, conflict and failure', async () => {
    // Prepare
    const { o } = observer();
    const bundles = [
      provisioned('com.example.hello', '1.0.0'),
      provisioned('com.example.again', '2.0.0', true), // already provisioned: nothing new to announce
      rejected('com.example.broken', '0.1.0'),
      conflict('com.example.clash', '1.0.0'),
      failed('com.example.flaky', '3.0.0'),
      skipped('com.example.old', '0.9.0'),
      skipped('com.example.known', '0.2.0', 'known-rejection'),
    ];
    // Act
    o.planned(plan(bundles.map((b) => item(b.appId ?? '', b.version ?? '', b.action))));
    for (const b of bundles) o.bundleDone(b);
    await o.runDone(runReport(bundles, 1));
    // Assess
    expect(notify.requests).toHaveLength(1);
    const n = notify.requests[0]!;
    expect(n.method).toBe('POST');
    expect(n.url).toBe(secretPath);
    expect(n.headers['content-type']).toBe('application/json');
    const nBody = JSON.parse(n.body) as { text: string; username: string };
    expect(nBody.username).toBe('apps-deployer');
    expect(nBody.text).toContain('`com.example.hello` version `1.0.0`');
    expect(nBody.text).toContain(RUN_ID);

    const texts = alert.requests.map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(texts).toHaveLength(3);
    const rej = texts.find((t) => t.includes('com.example.broken'));
    expect(rej).toContain('Rejected');
    expect(rej).toContain('`$.aws_lambda[0].runtime`: runtime go1.x can no longer be used');
    expect(rej).toContain('`$.aws_lambda[1]`: function 1 has no zip');
    expect(texts.find((t) => t.includes('com.example.clash'))).toContain('Versions are immutable');
    expect(texts.find((t) => t.includes('com.example.flaky'))).toContain('LAMBDA_THROTTLED');
    expect(texts.some((t) => t.includes('com.example.known'))).toBe(false);
  });

  it('logs a delivery failure without the webhook URL and without throwing', async () => {
    // Prepare
    alert.respondWith({ status: 500, body: `internal error for ${secretPath}-alert` });
    const { o, text } = observer();
    // Act
    o.bundleDone(rejected('com.example.broken', '0.1.0'));
    await expect(o.runDone(runReport([rejected('com.example.broken', '0.1.0')], 1))).resolves.toBeUndefined();
    // Assess
    expect(alert.requests).toHaveLength(1);
    const logs = text();
    expect(logs).toContain('webhook message not delivered');
    expect(logs).toContain('HTTP 500');
    expect(logs).not.toContain('s3cr3th00kid');
    expect(logs).not.toContain(alert.url);
  });

  it('gives up on a webhook that does not answer within its deadline', async () => {
    // Prepare
    notify.respondWith({ delayMs: 3000 });
    const { o, text } = observer({ timeoutMs: 200 });
    const started = Date.now();
    // Act
    o.bundleDone(provisioned('com.example.hello', '1.0.0'));
    await o.runDone(runReport([provisioned('com.example.hello', '1.0.0')], 0));
    // Assess
    expect(Date.now() - started).toBeLessThan(2500);
    expect(text()).toContain('no answer within 200 ms');
    expect(text()).not.toContain('s3cr3th00kid');
  });

  it('logs an unreachable webhook without throwing', async () => {
    // Prepare: a port nobody listens on any more
    const gone = await startHttpReceiver();
    await gone.close();
    const cap = capturingLogger();
    const o = new MattermostWebhookObserver({
      alertUrl: `${gone.url}${secretPath}`,
      logger: cap.logger,
      fetch: globalThis.fetch,
    });
    // Act
    o.bundleDone(failed('com.example.flaky', '3.0.0'));
    await o.runDone(runReport([failed('com.example.flaky', '3.0.0')], 1));
    // Assess
    expect(cap.text()).toContain('webhook message not delivered');
    expect(cap.text()).toContain('ECONNREFUSED');
    expect(cap.text()).not.toContain('s3cr3th00kid');
  });

  it('caps the messages of one run and sends a digest of the rest', async () => {
    // Prepare
    const { o } = observer({ maxMessagesPerRun: 3 });
    const bundles = Array.from({ length: 7 }, (_, i) => provisioned(`com.example.app${i}`, '1.0.0'));
    // Act
    for (const b of bundles) o.bundleDone(b);
    await o.runDone(runReport(bundles, 0));
    // Assess
    expect(notify.requests).toHaveLength(4);
    const texts = notify.requests.map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(texts.filter((t) => t.includes('and 4 more deployments'))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith(':white_check_mark: Deployed'))).toHaveLength(3);
    expect(alert.requests).toHaveLength(0);
  });

  it('alerts a failed run that has no failed bundle, and stays quiet on a clean run', async () => {
    // Prepare
    const { o } = observer();
    // Act
    await o.runDone(runReport([skipped('com.example.old', '0.9.0')], 0));
    await o.runDone(runReport([], 1));
    // Assess
    expect(notify.requests).toHaveLength(0);
    expect(alert.requests).toHaveLength(1);
    expect((JSON.parse(alert.requests[0]!.body) as { text: string }).text).toContain(
      'ended with exit code 1',
    );
  });

  it('alerts a run that failed as a whole, with its error', async () => {
    const { o } = observer();
    await o.runDone(
      runReport([provisioned('com.example.hello', '1.0.0')], 1, {
        error: { code: 'LOCK_LOST', message: 'this run lost the reconcile lock' },
      }),
    );
    expect(alert.requests).toHaveLength(1);
    const text = (JSON.parse(alert.requests[0]!.body) as { text: string }).text;
    expect(text).toContain('failed after 12.5s: LOCK_LOST: this run lost the reconcile lock');
  });

  it('sends only to the webhooks that are configured', async () => {
    // Prepare
    const cap = capturingLogger();
    const o = new MattermostWebhookObserver({
      notifyUrl: `${notify.url}/hooks/n`,
      logger: cap.logger,
      fetch: globalThis.fetch,
    });
    // Act
    o.bundleDone(rejected('com.example.broken', '0.1.0'));
    o.bundleDone(provisioned('com.example.hello', '1.0.0'));
    await o.runDone(runReport([], 1));
    // Assess
    expect(notify.requests).toHaveLength(1);
    expect(alert.requests).toHaveLength(0);
  });
});
