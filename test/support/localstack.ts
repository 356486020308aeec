/**
 * The LocalStack test backend (DEPLOYER_TEST_BACKEND=localstack), started through testcontainers.
 *
 * Image, first found:
 *   DEPLOYER_LOCALSTACK_IMAGE               an image of the user's choice
 *   the official image, if the engine has it (localstack/localstack:4.14.0)
 *   the locally built one, if the engine has it (scripts/build-localstack-image.sh; CI, no registry)
 *   the official image, pulled
 * Container, by the engine:
 *   a normal Docker (it has the default bridge network) → the stock LocalstackContainer (port 4566
 *     mapped to a free host port); the official image gets the Docker socket so that functions
 *     become Active (it starts Lambda runtime containers);
 *   an engine without a bridge (scripts/docker-engine.sh: --bridge=none, host networking only) → a
 *     GenericContainer in the host's network namespace, LocalStack listening on 127.0.0.1:<free
 *     port>, a log wait for "Ready.", and testcontainers' Ryuk reaper disabled (it needs a bridge);
 *     teardown stops the container.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import type { BackendHandle } from './global-setup';

export const LOCALSTACK_OFFICIAL_IMAGE = 'localstack/localstack:4.14.0';
/** The services the deployer and its tests use. */
export const LOCALSTACK_SERVICES = 's3,lambda,iam,sts,logs';
const STARTUP_TIMEOUT_MS = 180_000;
/** test/integration/provision/pending.localstack.test.ts relies on it */
export const STANDIN_PULL_SECONDS = 5;

/** The tag scripts/build-localstack-image.sh gives the image of its current recipe. */
export function localImageTag(rootDir: string): string {
  const script = path.join(rootDir, 'scripts', 'build-localstack-image.sh');
  const res = spawnSync('bash', [script, '--print-tag'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${script} --print-tag failed: ${res.stderr}`);
  return res.stdout.trim();
}

type RuntimeClient = Awaited<ReturnType<(typeof import('testcontainers'))['getContainerRuntimeClient']>>;

/** The engine's unix socket (DOCKER_HOST unix://..., else Docker's default), when there is one. */
function engineSocket(): string | undefined {
  const host = process.env.DOCKER_HOST?.trim();
  if (host) return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  return existsSync('/var/run/docker.sock') ? '/var/run/docker.sock' : undefined;
}

/**
 * Whether the engine has Docker's default bridge network, asked before testcontainers runs: without
 * one, testcontainers cannot find the host's address (it inspects "bridge") unless
 * TESTCONTAINERS_HOST_OVERRIDE says it. Unknown (a TCP engine, no answer) counts as a normal Docker.
 */
function engineHasBridge(): Promise<boolean> {
  const socketPath = engineSocket();
  if (!socketPath) return Promise.resolve(true);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/networks/bridge', timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode !== 404);
    });
    req.on('error', () => resolve(true));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function chooseImage(client: RuntimeClient, rootDir: string): Promise<{ image: string; how: string }> {
  const { ImageName } = await import('testcontainers');
  const given = process.env.DEPLOYER_LOCALSTACK_IMAGE?.trim();
  if (given) return { image: given, how: 'DEPLOYER_LOCALSTACK_IMAGE' };
  if (await client.image.exists(ImageName.fromString(LOCALSTACK_OFFICIAL_IMAGE)))
    return { image: LOCALSTACK_OFFICIAL_IMAGE, how: 'official, present' };
  const local = localImageTag(rootDir);
  if (await client.image.exists(ImageName.fromString(local)))
    return { image: local, how: 'built locally by scripts/build-localstack-image.sh' };
  return { image: LOCALSTACK_OFFICIAL_IMAGE, how: `official, to be pulled (no local ${local})` };
}

function freePort(): Promise<number> {
  return import('node:net').then(
    ({ createServer }) =>
      new Promise((resolve, reject) => {
        const srv = createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
          const addr = srv.address();
          const port = typeof addr === 'object' && addr ? addr.port : 0;
          srv.close(() => resolve(port));
        });
      }),
  );
}

export async function startLocalStack(rootDir: string): Promise<BackendHandle> {
  const bridge = await engineHasBridge();
  if (!bridge) {
    // host networking only: the containers' host is the loopback; Ryuk (the reaper container) needs
    // a mapped port, i.e. a bridge, so teardown stops our container instead
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  }
  const { getContainerRuntimeClient } = await import('testcontainers');
  let client: RuntimeClient;
  try {
    client = await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(
      `DEPLOYER_TEST_BACKEND=localstack needs a Docker engine, and none was found (${(err as Error).message}); ` +
        'start one (`eval "$(bash scripts/docker-engine.sh start)"` on a machine without Docker) or ' +
        'unset DEPLOYER_TEST_BACKEND to use moto server',
    );
  }
  const rt = client.info.containerRuntime;
  const engine = `Docker ${rt.serverVersion} at ${rt.host} (${rt.operatingSystem})`;
  const { image, how } = await chooseImage(client, rootDir);
  const handle = bridge ? await startStock(image) : await startHostNetwork(image);
  console.log(
    `test backend: LocalStack at ${handle.endpoint} · image ${image} (${how}) · engine ${engine} · ` +
      (bridge ? 'stock LocalstackContainer (bridge)' : 'host network, no bridge'),
  );
  return handle;
}

async function startStock(image: string): Promise<BackendHandle> {
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  // the official image runs Lambda functions in containers of its own: without the Docker socket it
  // marks new functions Failed, and the deployer's FunctionActiveV2 wait fails
  const socket = process.env.DEPLOYER_DOCKER_SOCKET ?? '/var/run/docker.sock';
  const container = await new LocalstackContainer(image)
    .withEnvironment({ SERVICES: LOCALSTACK_SERVICES })
    .withBindMounts([{ source: socket, target: '/var/run/docker.sock' }])
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  return {
    name: 'localstack',
    endpoint: container.getConnectionUri(),
    users: 1,
    stop: async () => {
      await container.stop();
    },
  };
}

async function startHostNetwork(image: string): Promise<BackendHandle> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await freePort();
  const container = await new GenericContainer(image)
    .withNetworkMode('host')
    .withEnvironment({
      GATEWAY_SERVER: 'hypercorn',
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      SERVICES: LOCALSTACK_SERVICES,
      AWS_DEFAULT_REGION: process.env.AWS_REGION ?? 'us-east-1',
      // the image's docker stand-in: the first pull of each runtime (while its first function is
      // Pending) takes this long, as AWS keeps new functions Pending for seconds
      DOCKER_STANDIN_PULL_SECONDS: String(STANDIN_PULL_SECONDS),
    })
    .withWaitStrategy(Wait.forLogMessage('Ready.'))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  return {
    name: 'localstack',
    endpoint: `http://127.0.0.1:${port}`,
    users: 1,
    stop: async () => {
      await container.stop({ timeout: 10_000 });
    },
  };
}
