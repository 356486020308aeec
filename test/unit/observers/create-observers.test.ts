import { PassThrough } from 'node:stream';
import {
  MattermostWebhookObserver,
  PushgatewayObserver,
  TtyProgressObserver,
  combineObservers,
  createObservers,
} from '../../../src/reconcile/observers';
import type { RunObserver } from '../../../src/reconcile/types';
import { capturingLogger, configWith, item, plan, provisioned, runReport } from './fixtures';

describe('createObservers', () => {
  const { logger } = capturingLogger();

  it('adds TTY progress only on a terminal without --json', () => {
    const config = configWith({});
    expect(createObservers(config, logger, { tty: true, json: false })[0]).toBeInstanceOf(
      TtyProgressObserver,
    );
    expect(createObservers(config, logger, { tty: true, json: true })).toHaveLength(0);
    expect(createObservers(config, logger, { tty: false, json: false })).toHaveLength(0);
  });

  it('adds webhooks and Pushgateway when their URLs are configured, whatever the output mode', () => {
    const config = configWith({
      APPS_DEPLOYER_ALERT_WEBHOOK_URL: 'https://chat.example.com/hooks/a',
      APPS_DEPLOYER_PUSHGATEWAY_URL: 'http://pushgateway:9091',
    });
    const observers = createObservers(config, logger, { tty: false, json: true });
    expect(observers).toHaveLength(2);
    expect(observers[0]).toBeInstanceOf(MattermostWebhookObserver);
    expect(observers[1]).toBeInstanceOf(PushgatewayObserver);
  });
});

describe('combineObservers', () => {
  it('forwards every event to each observer in order and logs one that throws', async () => {
    // Prepare
    const cap = capturingLogger();
    const seen: string[] = [];
    const out = new PassThrough();
    const broken: RunObserver = {
      bundleDone: () => {
        throw new Error('observer bug');
      },
      runDone: () => Promise.reject(new Error('async observer bug')),
    };
    const recorder: RunObserver = {
      planned: (p) => void seen.push(`planned ${p.items.length}`),
      bundleStarted: (i) => void seen.push(`started ${i.appId}`),
      bundleDone: (b) => void seen.push(`done ${b.appId}`),
      runDone: async (r) => {
        await new Promise((r) => setTimeout(r, 10));
        seen.push(`run ${r.exitCode}`);
      },
    };
    const all = combineObservers([new TtyProgressObserver(out), broken, recorder], cap.logger);
    // Act
    await all.planned(plan([item('a.b.c', '1', 'provision')]));
    await all.bundleStarted(item('a.b.c', '1', 'provision'));
    await all.bundleDone(provisioned('a.b.c', '1'));
    await all.runDone(runReport([], 0));
    // Assess
    expect(seen).toEqual(['planned 1', 'started a.b.c', 'done a.b.c', 'run 0']);
    expect(cap.text()).toContain('observer bug');
    expect(cap.text()).toContain('async observer bug');
  });
});
