/**
 * The example apps of examples/, as scripts/build-examples.js bundles them: the good ones validate,
 * the broken one is refused for the reasons it was built with, and the handlers (taken out of the
 * built bundles) answer Mattermost Apps calls the way the Apps plugin invokes them.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import unzipper from 'unzipper';
import { validateBundle } from '../../../src/bundle';
import { tempDir } from '../../support/bundle-builder';

jest.setTimeout(30_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface LambdaAnswer {
  statusCode: number;
  body: string;
}
type Handler = (event: unknown) => Promise<LambdaAnswer>;

/** Extracts <fn>.zip from a bundle into `dir` and loads its index.js handler. */
async function loadHandler(bundle: string, fn: string, dir: string): Promise<Handler> {
  const outer = await unzipper.Open.file(bundle);
  const entry = outer.files.find((f) => f.path === `${fn}.zip`);
  if (!entry) throw new Error(`${fn}.zip not in ${bundle}`);
  const inner = await unzipper.Open.buffer(await entry.buffer());
  const target = path.join(dir, `${path.basename(bundle, '.zip')}-${fn}`);
  await mkdir(target, { recursive: true });
  for (const f of inner.files) await writeFile(path.join(target, f.path), await f.buffer());
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(target, 'index.js')) as { handler: Handler }).handler;
}

/** The event the Apps plugin sends (upstream ServerlessRequestFromCall). */
function call(p: string, request: Record<string, unknown> = {}): unknown {
  return {
    path: p,
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ path: p, ...request }),
  };
}

async function answer(h: Handler, p: string, request?: Record<string, unknown>) {
  const res = await h(call(p, request));
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body) as { type: string; text?: string; data?: unknown };
}

describe('example apps', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const bundle = (name: string) => path.join(dir, 'bundles', `${name}.zip`);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('examples-test-'));
    await promisify(execFile)('node', [
      path.join(ROOT, 'scripts', 'build-examples.js'),
      path.join(dir, 'bundles'),
    ]);
  });
  afterAll(() => cleanup());

  it.each([
    ['hello-world', 'com.example.hello-world', '1.0.0', ['main']],
    ['weather-bot', 'com.example.weather-bot', '2.1.0', ['forecast', 'main']],
  ])('%s builds into a valid bundle', async (name, appId, version, functions) => {
    const result = await validateBundle(bundle(name));
    if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
    expect(result.bundle.appId).toBe(appId);
    expect(result.bundle.version).toBe(version);
    expect(result.bundle.functions.map((f) => f.name).sort()).toEqual(functions);
    expect(result.bundle.assets.map((a) => a.relPath)).toEqual(['icon.png']);
    expect(result.bundle.assets[0]!.contentType).toBe('image/png');
  });

  it('broken-app is refused for its blocked runtime and its missing function zip', async () => {
    const result = await validateBundle(bundle('broken-app'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['$.aws_lambda[0].runtime', expect.stringMatching(/^\$\.aws_lambda\[1\]/)]),
    );
  });

  it('rebuilding gives the same bytes (so a second upload is "already uploaded")', async () => {
    await promisify(execFile)('node', [
      path.join(ROOT, 'scripts', 'build-examples.js'),
      path.join(dir, 'again'),
      'hello-world',
    ]);
    const a = await validateBundle(bundle('hello-world'));
    const b = await validateBundle(path.join(dir, 'again', 'hello-world.zip'));
    expect(a.ok && b.ok && a.bundle.sha256Hex === b.bundle.sha256Hex).toBe(true);
  });

  it('hello-world answers bindings, install and its command, and errors on unknown paths', async () => {
    const h = await loadHandler(bundle('hello-world'), 'main', dir);
    const bindings = await answer(h, '/bindings');
    expect(bindings.type).toBe('ok');
    expect((bindings.data as { location: string }[]).map((b) => b.location)).toEqual([
      '/command',
      '/channel_header',
    ]);
    expect((await answer(h, '/install')).type).toBe('ok');
    const send = await answer(h, '/send', { context: { acting_user: { username: 'alice' } } });
    expect(send).toEqual({ type: 'ok', text: 'Hello, @alice! This answer comes from AWS Lambda.' });
    expect(await answer(h, '/nope')).toMatchObject({ type: 'error' });
    const bad = await h({ path: '/send', body: '{not json' });
    expect(JSON.parse(bad.body)).toMatchObject({ type: 'error' });
  });

  it('weather-bot answers its form with a forecast from its second function', async () => {
    const main = await loadHandler(bundle('weather-bot'), 'main', dir);
    const forecast = await loadHandler(bundle('weather-bot'), 'forecast', dir);
    const bindings = await answer(main, '/bindings');
    expect(JSON.stringify(bindings.data)).toContain('"path":"/forecast"');
    const res = await answer(forecast, '/forecast', {
      values: { city: 'Lisbon', days: { label: 'three days', value: '3' } },
    });
    expect(res.type).toBe('ok');
    expect(res.text).toContain('Forecast for Lisbon');
    expect(
      res.text!.split('\n').filter((l) => l.startsWith('| today') || l.startsWith('| day +')),
    ).toHaveLength(3);
    expect(await answer(forecast, '/forecast', { values: {} })).toMatchObject({ type: 'error' });
  });
});
