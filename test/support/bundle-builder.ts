/**
 * Builds app bundles for the tests, so that no test needs ../shared. A bundle is a zip with
 * manifest.json, one <function name>.zip per function and an optional static/ tree.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

export interface RawEntry {
  name: string;
  data: Buffer | string;
  /** store (no compression); default deflate */
  store?: boolean;
  mode?: number;
}

export interface BundleSpec {
  /** object → JSON; string/Buffer → as is; null → no manifest.json */
  manifest: object | string | Buffer | null;
  /** entry name (e.g. "function1.zip") → zip bytes */
  functions?: Record<string, Buffer>;
  /** path under static/ → content */
  static?: Record<string, Buffer | string>;
  /** anything else, written as given */
  extra?: RawEntry[];
  /** store every entry (no compression) */
  store?: boolean;
}

const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

function zipToBuffer(entries: RawEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, {
      compress: !e.store,
      mtime: FIXED_MTIME,
      mode: e.mode ?? 0o100644,
    });
  }
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** A small Lambda function zip (a Node.js handler by default). */
export function functionZip(files: Record<string, Buffer | string> = defaultHandler()): Promise<Buffer> {
  return zipToBuffer(Object.entries(files).map(([name, data]) => ({ name, data })));
}

export function defaultHandler(body = 'ok'): Record<string, string> {
  return {
    'index.js': `exports.handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`,
  };
}

export function bundleEntries(spec: BundleSpec): RawEntry[] {
  const entries: RawEntry[] = [];
  if (spec.manifest !== null) {
    const m = spec.manifest;
    const data = Buffer.isBuffer(m) || typeof m === 'string' ? m : JSON.stringify(m, null, 2);
    entries.push({ name: 'manifest.json', data, store: spec.store });
  }
  for (const [name, data] of Object.entries(spec.functions ?? {})) {
    entries.push({ name, data, store: spec.store });
  }
  for (const [rel, data] of Object.entries(spec.static ?? {})) {
    entries.push({ name: `static/${rel}`, data, store: spec.store });
  }
  entries.push(...(spec.extra ?? []));
  return entries;
}

export function bundleBuffer(spec: BundleSpec): Promise<Buffer> {
  return zipToBuffer(bundleEntries(spec));
}

export async function writeBundle(file: string, spec: BundleSpec): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const zip = new yazl.ZipFile();
  for (const e of bundleEntries(spec)) {
    zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, {
      compress: !e.store,
      mtime: FIXED_MTIME,
      mode: e.mode ?? 0o100644,
    });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
  return file;
}

/** Function names of the upstream test bundle (mattermost-plugin-apps aws/testdata). */
export const UPSTREAM_FUNCTIONS = [
  { path: '/', name: 'function1', handler: 'mattermost-app-servicenow', runtime: 'provided.al2023' },
  { path: '/js', name: 'function2', handler: 'index.handler', runtime: 'nodejs24.x' },
  {
    path: '/go',
    name: 'function with spaces',
    handler: 'mattermost-app-servicenow',
    runtime: 'provided.al2023',
  },
  {
    path: '/go',
    name: 'function-with-very-very-very-very-very-very-very-long-name',
    handler: 'mattermost-app-servicenow',
    runtime: 'provided.al2023',
  },
] as const;

export const UPSTREAM_STATIC = [
  'some.json',
  'static file with spaces.txt',
  'photo.png',
  'text.txt',
  'static-file-with-very-very-very-very-very-very-very-very-long-name.txt',
] as const;

/** The upstream test bundle's manifest, with current runtimes unless others are given. */
export function upstreamManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    app_id: 'com.mattermost.servicenow',
    app_type: 'aws_lambda',
    version: '0.1.0',
    display_name: 'ServiceNow',
    description: 'ServiceNow integration',
    homepage_url: 'https://github.com/mattermost/mattermost-app-servicenow',
    root_url: '',
    requested_permissions: [],
    requested_locations: ['/command', '/channel_header', '/post_menu'],
    aws_lambda: { functions: UPSTREAM_FUNCTIONS.map((f) => ({ ...f })) },
    ...overrides,
  };
}

/** A bundle equal in content to the upstream test bundle, with current runtimes. */
export async function upstreamLikeSpec(
  manifestOverrides: Record<string, unknown> = {},
  handlerBody = 'ok',
): Promise<BundleSpec> {
  const manifest = upstreamManifest(manifestOverrides);
  const fns = (manifest.aws_lambda as { functions: { name: string }[] }).functions;
  const functions: Record<string, Buffer> = {};
  for (const f of fns)
    functions[`${f.name}.zip`] = await functionZip(defaultHandler(`${f.name}:${handlerBody}`));
  const stat: Record<string, string> = {};
  for (const s of UPSTREAM_STATIC)
    stat[s] = s === 'some.json' ? JSON.stringify({ hello: 'world' }) : `content of ${s}`;
  return { manifest, functions, static: stat };
}

/** A simple valid app with `n` functions. */
export async function simpleAppSpec(
  appId: string,
  version: string,
  opts: { functions?: number; body?: string } = {},
): Promise<BundleSpec> {
  const n = opts.functions ?? 1;
  const fns = Array.from({ length: n }, (_, i) => ({
    path: i === 0 ? '/' : `/f${i}`,
    name: `fn${i}`,
    handler: 'index.handler',
    runtime: 'nodejs24.x',
  }));
  const functions: Record<string, Buffer> = {};
  for (const f of fns)
    functions[`${f.name}.zip`] = await functionZip(
      defaultHandler(`${appId}:${version}:${f.name}:${opts.body ?? ''}`),
    );
  return {
    manifest: {
      app_id: appId,
      version,
      display_name: `App ${appId}`,
      homepage_url: 'https://example.com/app',
      app_type: 'aws_lambda',
      icon: 'icon.png',
      aws_lambda: fns,
    },
    functions,
    static: { 'icon.png': Buffer.from('89504e470d0a1a0a', 'hex') },
  };
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(
  prefix = 'apps-deployer-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
