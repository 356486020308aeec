/**
 * A real HTTP server on 127.0.0.1:<free port> that records every request it receives: stands in for a
 * Mattermost incoming webhook or a Prometheus Pushgateway in tests. No mocks: the code under test
 * sends real HTTP requests with the global fetch.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** path and query, e.g. "/hooks/abc" */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ReceiverBehaviour {
  /** status code to answer with (default 200) */
  status?: number;
  /** body to answer with (default "ok") */
  body?: string;
  /** wait this long before answering (to exercise client timeouts) */
  delayMs?: number;
}

export interface HttpReceiver {
  /** base URL, e.g. "http://127.0.0.1:41234" (no trailing slash) */
  url: string;
  requests: ReceivedRequest[];
  /** change how the next requests are answered */
  respondWith(behaviour: ReceiverBehaviour): void;
  /** resolves once `count` requests have been received (or rejects after timeoutMs) */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startHttpReceiver(initial: ReceiverBehaviour = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let behaviour: ReceiverBehaviour = initial;
  const waiters: { count: number; resolve: () => void }[] = [];
  const pending = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      for (const w of waiters.filter((w) => requests.length >= w.count)) w.resolve();
      const { status = 200, body = 'ok', delayMs = 0 } = behaviour;
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(body);
      };
      if (delayMs > 0) {
        const t = setTimeout(() => {
          pending.delete(t);
          answer();
        }, delayMs);
        pending.add(t);
      } else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(b) {
      behaviour = b;
    },
    waitFor(count, timeoutMs = 5000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} requests, got ${requests.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(requests);
          },
        });
      });
    },
    close() {
      for (const t of pending) clearTimeout(t);
      pending.clear();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
