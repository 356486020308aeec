import {
  MattermostWebhookObserver,
  PushgatewayObserver,
  TtyProgressObserver,
  createObservers,
} from '../../../src/reconcile/observers';
import { capturingLogger, configWith } from './fixtures';

describe('createObservers', () => {
  const { logger } = capturingLogger();

  it('adds TTY progress only on a terminal without --json', () => {
    const config = configWith({});
    expect(createObservers(config, logger, { tty: true, json: false })[0]).toBeInstanceOf(
      TtyProgressObserver,
    );
    expect(createObservers(config, logger, { tty: true, json: true })).toHaveLength(0);
    expect(createObservers(config, logger, { tty: false, json: false })).toHaveLength(0);
    expect(createObservers(config, logger, { tty: true, json: false, dryRun: true })).toHaveLength(0);
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
