/**
 * Delivers run events to the observers (TTY progress, webhooks, Pushgateway) without letting them
 * slow down or break the run: each observer gets its events in order on its own chain, workers never
 * wait for delivery, and whatever an observer throws is logged. `drain()` waits for the chains.
 */
import type { Logger } from '../log';
import type { RunObserver } from './types';

type EventName = keyof RunObserver;
type EventArg<K extends EventName> = Parameters<NonNullable<RunObserver[K]>>[0];

export class ObserverDispatch {
  private readonly chains: Promise<void>[];

  constructor(
    private readonly observers: readonly RunObserver[],
    private readonly logger: Logger,
  ) {
    this.chains = observers.map(() => Promise.resolve());
  }

  emit<K extends EventName>(event: K, arg: EventArg<K>): void {
    this.observers.forEach((observer, i) => {
      const fn = observer[event] as ((a: EventArg<K>) => void | Promise<void>) | undefined;
      if (!fn) return;
      this.chains[i] = (this.chains[i] ?? Promise.resolve())
        .then(() => fn.call(observer, arg))
        .catch((err: unknown) =>
          this.logger.warn(
            {
              event,
              observer: observer.constructor?.name,
              err: { message: (err as Error)?.message ?? String(err) },
            },
            'run observer failed; the run goes on',
          ),
        );
    });
  }

  /** Waits until every observer has handled every event emitted so far. */
  async drain(): Promise<void> {
    for (const chain of this.chains) await chain;
  }
}
