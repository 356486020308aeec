/**
 * Jest globalSetup of the integration and e2e layers: chooses the AWS backend the tests talk to,
 * starts it when it is ours to start, and publishes it to the test workers through process.env
 * (workers inherit the parent's environment). One line says which backend was used.
 *
 *   AWS_ENDPOINT_URL set               → that endpoint (any emulator, or a sandbox account)
 *   DEPLOYER_TEST_BACKEND=localstack   → LocalStack through testcontainers (needs a Docker engine;
 *                                        official image or the locally built one: localstack.ts)
 *   otherwise                          → moto server from .venv-moto (`npm run setup:emulator`)
 *
 * Environment published: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * (dummies for emulators), DEPLOYER_TEST_BACKEND_NAME ("moto" | "localstack" | "endpoint").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { startLocalStack } from './localstack';

/** moto's version pinned by scripts/setup-emulator.sh */
export const MOTO_VERSION_PIN = '5.2.5';
const STARTUP_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 150;
const DEFAULT_TEST_REGION = 'us-east-1';

/** What teardown needs to stop what setup started; kept on globalThis (same process). */
export interface BackendHandle {
  name: 'moto' | 'localstack' | 'endpoint';
  endpoint: string;
  stop: () => Promise<void>;
  /** number of setups sharing it (integration and e2e projects run in one jest process) */
  users: number;
}

const HANDLE_KEY = '__appsDeployerTestBackend';
type GlobalWithHandle = typeof globalThis & { [HANDLE_KEY]?: BackendHandle };

export function currentBackend(): BackendHandle | undefined {
  return (globalThis as GlobalWithHandle)[HANDLE_KEY];
}

export function clearBackend(): void {
  delete (globalThis as GlobalWithHandle)[HANDLE_KEY];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswers(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `moto_server exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer ${url} within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

async function startMoto(rootDir: string): Promise<BackendHandle> {
  const bin = path.join(rootDir, '.venv-moto', 'bin', 'moto_server');
  if (!existsSync(bin)) {
    throw new Error(
      `the test emulator is not installed (${bin} is missing): run \`npm run setup:emulator\` ` +
        `(installs moto[server]==${MOTO_VERSION_PIN} into .venv-moto), or set AWS_ENDPOINT_URL`,
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    // keep only the tail: moto logs every request
    stderr = (stderr + c.toString('utf8')).slice(-4_000);
  });
  await waitUntilAnswers(`${endpoint}/moto-api/`, child, () => stderr);
  const version = await motoVersion(rootDir);
  console.log(`test backend: moto server ${version} at ${endpoint}`);
  return {
    name: 'moto',
    endpoint,
    users: 1,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function motoVersion(rootDir: string): Promise<string> {
  const py = path.join(rootDir, '.venv-moto', 'bin', 'python');
  return new Promise((resolve) => {
    const p = spawn(py, ['-c', 'import moto; print(moto.__version__)'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    p.on('error', () => resolve('(unknown version)'));
    p.on('close', () => resolve(out.trim() || '(unknown version)'));
  });
}

function publish(handle: BackendHandle): void {
  process.env.AWS_ENDPOINT_URL = handle.endpoint;
  process.env.AWS_REGION ??= DEFAULT_TEST_REGION;
  process.env.DEPLOYER_TEST_BACKEND_NAME = handle.name;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  if (handle.name !== 'endpoint') {
    // emulators accept any credentials; never let a developer's real ones reach them
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  }
}

export default async function globalSetup(config: { rootDir?: string }): Promise<void> {
  const existing = currentBackend();
  if (existing) {
    // the integration and e2e projects share one backend in a single jest run
    existing.users += 1;
    publish(existing);
    return;
  }
  let handle: BackendHandle;
  const given = process.env.AWS_ENDPOINT_URL?.trim();
  if (given) {
    handle = { name: 'endpoint', endpoint: given, users: 1, stop: async () => undefined };
    console.log(`test backend: AWS_ENDPOINT_URL ${given}`);
  } else if (process.env.DEPLOYER_TEST_BACKEND === 'localstack') {
    handle = await startLocalStack(config.rootDir ?? path.resolve(__dirname, '..', '..'));
  } else {
    handle = await startMoto(config.rootDir ?? path.resolve(__dirname, '..', '..'));
  }
  (globalThis as GlobalWithHandle)[HANDLE_KEY] = handle;
  publish(handle);
}
