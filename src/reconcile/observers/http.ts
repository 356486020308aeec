/**
 * One HTTP delivery with a deadline, for the webhook and Pushgateway observers. Failures become a
 * DeliveryError whose message never contains the target URL: webhook URLs are secrets (the hook id is
 * the credential), and a Pushgateway URL may carry basic-auth credentials.
 */
import { DeliveryError } from './errors';

export type FetchFn = typeof fetch;

export interface DeliveryRequest {
  /** what is delivered, for messages: "Mattermost notification", "Pushgateway metrics" */
  channel: string;
  url: string;
  method: 'POST' | 'PUT';
  body: string;
  contentType: string;
  timeoutMs: number;
  fetch: FetchFn;
}

/** Removes every form of the secret URL from a text (full URL, path and query, credentials). */
export function redactUrl(text: string, url: string): string {
  const secrets = new Set<string>([url]);
  try {
    const u = new URL(url);
    secrets.add(u.href);
    if (u.pathname.length > 1) secrets.add(u.pathname + u.search);
    if (u.username) secrets.add(u.username);
    if (u.password) secrets.add(u.password);
  } catch {
    // not a URL: the full string is all there is to hide
  }
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length > 0) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** fetch refuses URLs with credentials: move them into an Authorization header. */
function splitCredentials(url: string): { target: string; authorization?: string } {
  const u = new URL(url);
  if (!u.username && !u.password) return { target: url };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return {
    target: u.href,
    authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
  };
}

function describeFailure(err: unknown, timeoutMs: number): string {
  // errors from fetch may come from another realm (test runners): judge them by shape, not class
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (typeof e.message !== 'string') return String(err);
  const cause = e.cause;
  if (cause && typeof cause.code === 'string') return `${e.message} (${cause.code})`;
  if (cause && typeof cause.message === 'string') return `${e.message} (${cause.message})`;
  return e.message;
}

/** Sends the request; resolves on a 2xx answer, throws DeliveryError otherwise. */
export async function deliver(req: DeliveryRequest): Promise<void> {
  let response: Response;
  try {
    const { target, authorization } = splitCredentials(req.url);
    const headers: Record<string, string> = { 'content-type': req.contentType };
    if (authorization) headers.authorization = authorization;
    response = await req.fetch(target, {
      method: req.method,
      headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    throw new DeliveryError(req.channel, redactUrl(describeFailure(err, req.timeoutMs), req.url));
  }
  // read the answer (bounded by the same kind of deadline) so the connection is released
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const snippet = redactUrl(text.slice(0, 200).replace(/\s+/g, ' ').trim(), req.url);
    throw new DeliveryError(req.channel, `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`);
  }
}
