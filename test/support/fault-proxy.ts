/**
 * A fault-injecting HTTP proxy for tests: listens on 127.0.0.1:<free port>, forwards every request to
 * the real emulator (moto server, LocalStack) and, by rules, answers some requests with a canned AWS
 * error, drops the connection, adds latency, or forwards the request and then drops the answer (the
 * write happened, the client never hears of it). Point AWS_ENDPOINT_URL (or AwsConfig.endpoint) at
 * `proxy.url`: SDK clients, the built CLI as a subprocess, anything speaking HTTP to AWS.
 *
 *   const proxy = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL!, seed: 42 });
 *   proxy.addRule({ match: { service: 'lambda', operation: 'CreateFunction' },
 *                   action: { kind: 'error', status: 400, code: 'InvalidParameterValueException',
 *                             message: 'Could not unzip uploaded file.' }, times: 1 });
 *   proxy.addRule({ match: { service: 's3' }, action: { kind: 'error', status: 503, code: 'SlowDown' },
 *                   probability: 0.2 });            // seeded: the same requests fail on every run
 *   proxy.count({ service: 's3', operation: 'GetObject' });   // requests seen (faulted or not)
 *   proxy.addRule({ match: { service: 'lambda', operation: 'CreateFunction' },
 *                   action: { kind: 'hold', until: gate }, times: 1 });   // forwarded once gate settles
 *   proxy.setS3ClockOffset(61_000);   // S3's Date header a minute ahead: a 60 s lock is now stale
 *   await proxy.close();
 *
 * Matching (every given field must match): `service` from the SigV4 credential scope of the
 * Authorization header (s3, lambda, iam, sts, ...); `operation` from X-Amz-Target (JSON services),
 * the query protocol's Action (IAM, STS), the Lambda REST path, or S3's method + path-style key +
 * query (ListObjectsV2, GetObject, PutObject, UploadPart, ...); `bucket` and `key` (S3, path-style);
 * `method`; `path` (path and query); `body` (the request body as UTF-8 text, e.g. a function name in
 * CreateFunction). Rules are tried in the order added; the first that matches AND fires applies (a
 * rule whose `times` are used up, or whose seeded coin says no, lets the next rule try). `skip` lets
 * the first N matches through. Error bodies follow each protocol: S3 XML <Error>, Lambda JSON with
 * x-amzn-ErrorType, query-protocol XML <ErrorResponse>, JSON-protocol {"__type"}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultAction =
  /** answer this AWS error without forwarding */
  | { kind: 'error'; status: number; code: string; message?: string }
  /** close the connection without an answer (a reset, as the client sees it) */
  | { kind: 'drop' }
  /** wait, then forward normally */
  | { kind: 'delay'; ms: number }
  /** hold the request until `until` settles, then forward normally (a gate the test opens) */
  | { kind: 'hold'; until: Promise<unknown> }
  /** forward (the write happens), then close the connection instead of answering */
  | { kind: 'drop-after-forward' };

export interface FaultMatch {
  service?: string;
  operation?: string | RegExp;
  method?: string;
  bucket?: string | RegExp;
  key?: string | RegExp;
  path?: RegExp;
  body?: RegExp;
}

export interface FaultRule {
  /** shown in `requests[].fault` (default: the rule's index) */
  name?: string;
  match: FaultMatch;
  action: FaultAction;
  /** fire at most this many times (default: always) */
  times?: number;
  /** fire with this probability, from the proxy's seeded generator (default 1) */
  probability?: number;
  /** let the first N matching requests through */
  skip?: number;
}

export interface ProxiedRequest {
  service: string;
  operation: string;
  method: string;
  path: string;
  bucket?: string;
  key?: string;
  /** the rule that fired, if any */
  fault?: string;
}

export interface FaultProxy {
  /** e.g. "http://127.0.0.1:41234" */
  url: string;
  /** every request received, in order */
  requests: ProxiedRequest[];
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** requests seen that match (faulted or not) */
  count(match?: Pick<FaultMatch, 'service' | 'operation' | 'bucket' | 'key' | 'method'>): number;
  /** shifts the `Date` header of every S3 answer by `ms` from now on: S3's clock as the SDK sees it
   * (the reconcile lock judges expiry by it), e.g. a TTL later without waiting for it */
  setS3ClockOffset(ms: number): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** the real endpoint, e.g. process.env.AWS_ENDPOINT_URL */
  target: string;
  /** seed of the generator behind `probability` (default 1) */
  seed?: number;
  rules?: FaultRule[];
  /** called for every request as it arrives, before any rule applies (index from 0) */
  onRequest?: (request: ProxiedRequest, index: number) => void;
  /**
   * Forward the conditional writes of one S3 key (a PUT, POST or DELETE with If-None-Match or
   * If-Match) one at a time, each once the one before was answered. AWS evaluates a conditional write
   * atomically (of two concurrent `If-None-Match: *` creates, one succeeds, the other gets 412 or 409);
   * moto 5.2.5 checks the condition, then writes, with no lock between, in a threaded server: two
   * concurrent creates of one key can both answer 200. Tests of concurrent writers of one key (the
   * reconcile lock) need AWS's behaviour.
   */
  atomicConditionalWrites?: boolean;
}

/** mulberry32: a small seeded generator, so that a "20% of requests fail" test is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LAMBDA_ROUTES: [string, RegExp, string][] = [
  ['POST', /^\/2015-03-31\/functions\/?$/, 'CreateFunction'],
  ['GET', /^\/2015-03-31\/functions\/?$/, 'ListFunctions'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/code$/, 'UpdateFunctionCode'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'UpdateFunctionConfiguration'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'GetFunctionConfiguration'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+$/, 'GetFunction'],
  ['DELETE', /^\/2015-03-31\/functions\/[^/]+$/, 'DeleteFunction'],
  ['POST', /^\/2015-03-31\/functions\/[^/]+\/invocations$/, 'Invoke'],
  ['POST', /^\/2017-03-31\/tags\/.+$/, 'TagResource'],
  ['DELETE', /^\/2017-03-31\/tags\/.+$/, 'UntagResource'],
  ['GET', /^\/2017-03-31\/tags\/.+$/, 'ListTags'],
  ['PUT', /^\/2017-10-31\/functions\/[^/]+\/concurrency$/, 'PutFunctionConcurrency'],
  ['DELETE', /^\/2017-10-31\/functions\/[^/]+\/concurrency$/, 'DeleteFunctionConcurrency'],
];

function serviceOf(req: http.IncomingMessage, pathname: string, body: string): string {
  const auth = req.headers.authorization ?? '';
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  if (scope?.[1]) return scope[1];
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.')[0]?.toLowerCase() ?? 'unknown';
  if (/^\/20\d\d-\d\d-\d\d\//.test(pathname)) return 'lambda';
  if (/(^|&)Action=/.test(body)) return 'iam';
  return 's3';
}

function s3Operation(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  query: URLSearchParams,
  headers: http.IncomingHttpHeaders,
): string {
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method} /`;
  if (!key) {
    if (method === 'GET')
      return query.get('list-type') === '2'
        ? 'ListObjectsV2'
        : query.has('uploads')
          ? 'ListMultipartUploads'
          : query.has('versions')
            ? 'ListObjectVersions'
            : 'ListObjects';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return `${method} bucket`;
  }
  switch (method) {
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (query.has('partNumber') && query.has('uploadId')) return 'UploadPart';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      return 'POST object';
    default:
      return `${method} object`;
  }
}

/** Service, operation, and for S3 the bucket and key, of one request. */
export function describeRequest(req: http.IncomingMessage, body: string): Omit<ProxiedRequest, 'fault'> {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const method = (req.method ?? 'GET').toUpperCase();
  const service = serviceOf(req, url.pathname, body);
  const base = { service, method, path: `${url.pathname}${url.search}` };
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return { ...base, operation: target.split('.').pop() ?? target };
  const action = /(?:^|&)Action=([^&]+)/.exec(body)?.[1] ?? url.searchParams.get('Action');
  if (action) return { ...base, operation: decodeURIComponent(action) };
  if (service === 'lambda') {
    const route = LAMBDA_ROUTES.find(([m, re]) => m === method && re.test(url.pathname));
    return { ...base, operation: route?.[2] ?? `${method} ${url.pathname}` };
  }
  if (service === 's3') {
    const [, rawBucket, ...rest] = url.pathname.split('/');
    const bucket = rawBucket ? decodeURIComponent(rawBucket) : undefined;
    const key = rest.length > 0 && rest.join('/') !== '' ? decodeURIComponent(rest.join('/')) : undefined;
    return {
      ...base,
      operation: s3Operation(method, bucket, key, url.searchParams, req.headers),
      ...(bucket ? { bucket } : {}),
      ...(key ? { key } : {}),
    };
  }
  return { ...base, operation: `${method} ${url.pathname}` };
}

function test(want: string | RegExp | undefined, got: string | undefined): boolean {
  if (want === undefined) return true;
  if (got === undefined) return false;
  return typeof want === 'string' ? want === got : want.test(got);
}

function matches(m: FaultMatch, r: Omit<ProxiedRequest, 'fault'>, body: string): boolean {
  return (
    test(m.service, r.service) &&
    test(m.operation, r.operation) &&
    test(m.method?.toUpperCase(), r.method) &&
    test(m.bucket, r.bucket) &&
    test(m.key, r.key) &&
    (m.path === undefined || m.path.test(r.path)) &&
    (m.body === undefined || m.body.test(body))
  );
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The error as the service's protocol carries it. */
function errorResponse(
  r: Omit<ProxiedRequest, 'fault'>,
  isJsonTarget: boolean,
  action: { status: number; code: string; message?: string },
): { headers: http.OutgoingHttpHeaders; body: string } {
  const message = action.message ?? action.code;
  const requestId = 'fault-proxy-0000';
  if (r.service === 'lambda')
    return {
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': action.code,
        'x-amzn-requestid': requestId,
      },
      body: JSON.stringify({ Type: action.status >= 500 ? 'Service' : 'User', message }),
    };
  if (isJsonTarget)
    return {
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: action.code, message }),
    };
  if (r.service === 's3')
    return {
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body:
        r.method === 'HEAD'
          ? ''
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(action.code)}</Code>` +
            `<Message>${xmlEscape(message)}</Message>${r.bucket ? `<BucketName>${xmlEscape(r.bucket)}</BucketName>` : ''}` +
            `<RequestId>${requestId}</RequestId></Error>`,
    };
  return {
    headers: { 'content-type': 'text/xml' },
    body:
      `<ErrorResponse><Error><Type>${action.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${xmlEscape(action.code)}</Code><Message>${xmlEscape(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

interface LiveRule extends FaultRule {
  fired: number;
  seen: number;
  label: string;
}

/** The key whose conditional writes must be forwarded one at a time, if `r` is one (else undefined). */
function conditionalWriteKey(r: Omit<ProxiedRequest, 'fault'>, headers: http.IncomingHttpHeaders) {
  const conditional = headers['if-none-match'] !== undefined || headers['if-match'] !== undefined;
  if (r.service !== 's3' || !conditional || r.key === undefined || r.method === 'GET' || r.method === 'HEAD')
    return undefined;
  return `${r.bucket ?? ''}/${r.key}`;
}

/** Runs tasks of one key one at a time: each starts once the one before called its `done`. */
function keyedTurns(): (key: string, task: (done: () => void) => void) => void {
  const tails = new Map<string, Promise<void>>();
  return (key, task) => {
    const before = tails.get(key) ?? Promise.resolve();
    let done = (): void => undefined;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    tails.set(key, tail);
    void before.then(() => task(done));
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
  };
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed ?? 1);
  const rules: LiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  let s3ClockOffsetMs = 0;
  const inTurn = keyedTurns();
  const addRule = (rule: FaultRule): void => {
    rules.push({ ...rule, fired: 0, seen: 0, label: rule.name ?? `rule-${rules.length}` });
  };
  for (const r of options.rules ?? []) addRule(r);

  const pick = (r: Omit<ProxiedRequest, 'fault'>, body: string): LiveRule | undefined => {
    for (const rule of rules) {
      if (!matches(rule.match, r, body)) continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      rule.fired++;
      return rule;
    }
    return undefined;
  };

  const forward = (
    req: http.IncomingMessage,
    body: Buffer,
    onResponse: (res: http.IncomingMessage) => void,
    onError: (err: Error) => void,
  ): void => {
    const headers = { ...req.headers, host: target.host };
    const upstream = http.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
      },
      onResponse,
    );
    upstream.on('error', onError);
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const described = describeRequest(req, text);
      const rule = pick(described, text);
      const entry: ProxiedRequest = { ...described, ...(rule ? { fault: rule.label } : {}) };
      requests.push(entry);
      options.onRequest?.(entry, requests.length - 1);
      const action = rule?.action;
      const forwardNow = (): void =>
        forward(
          req,
          body,
          (up) => {
            if (action?.kind === 'drop-after-forward') {
              up.resume();
              up.on('end', () => req.socket.destroy());
              return;
            }
            const headers = { ...up.headers };
            if (s3ClockOffsetMs !== 0 && described.service === 's3' && headers.date)
              headers.date = new Date(Date.parse(headers.date) + s3ClockOffsetMs).toUTCString();
            res.writeHead(up.statusCode ?? 502, headers);
            up.pipe(res);
          },
          () => req.socket.destroy(),
        );
      const turnKey = options.atomicConditionalWrites
        ? conditionalWriteKey(described, req.headers)
        : undefined;
      // the next conditional write of this key goes once this one was answered (or its client went)
      const pass = (): void =>
        turnKey === undefined
          ? forwardNow()
          : inTurn(turnKey, (done) => {
              res.once('close', done);
              forwardNow();
            });
      if (!action) return pass();
      switch (action.kind) {
        case 'error': {
          const e = errorResponse(described, typeof req.headers['x-amz-target'] === 'string', action);
          res.writeHead(action.status, { ...e.headers, 'content-length': Buffer.byteLength(e.body) });
          res.end(e.body);
          return;
        }
        case 'drop':
          req.socket.destroy();
          return;
        case 'delay':
          setTimeout(pass, action.ms);
          return;
        case 'hold':
          void action.until.then(pass, pass);
          return;
        case 'drop-after-forward':
          return pass();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    addRule,
    clearRules: () => void rules.splice(0, rules.length),
    count: (m = {}) => requests.filter((r) => matches(m, r, '')).length,
    setS3ClockOffset: (ms) => void (s3ClockOffsetMs = ms),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
