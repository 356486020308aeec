/**
 * LocalStack only, by design (jest.config.js runs *.localstack.test.ts only with
 * DEPLOYER_TEST_BACKEND=localstack): Lambda functions that are still Pending when the deployer's
 * next step runs. AWS keeps a new function Pending for seconds; moto answers Active at once, so only
 * LocalStack can show that the waits work. LocalStack is Pending while it prepares a function's
 * runtime; the harness's image stand-in makes the first pull of each runtime take
 * DOCKER_STANDIN_PULL_SECONDS (5 s), so each test uses a runtime no other test uses (with the official
 * image and a real Docker, that first pull is a real one).
 */
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  type LambdaClient,
  type Runtime,
} from '@aws-sdk/client-lambda';
import type { AwsPorts } from '../../../src/aws/ports';
import { FUNCTION_TAGS } from '../../../src/provision/types';
import { functionZip, tempDir, type BundleSpec } from '../../support/bundle-builder';
import { backendName, testClients } from '../../support/emulator';
import { PENDING_TEST_RUNTIMES } from '../../support/manifest-arbitraries';
import { assertI1, buildBundle, freshEnv, provisioner, uniqueAppId } from './support';

jest.setTimeout(120_000);

async function oneFunctionSpec(
  appId: string,
  runtime: string,
  handler: string,
  files: Record<string, string>,
) {
  const zip = await functionZip(files);
  const spec: BundleSpec = {
    manifest: {
      app_id: appId,
      version: '1.0.0',
      display_name: `Pending ${appId}`,
      homepage_url: 'https://example.com/app',
      app_type: 'aws_lambda',
      aws_lambda: [{ path: '/', name: 'main', handler, runtime }],
    },
    functions: { 'main.zip': zip },
  };
  return { spec, zip };
}

/** Ports whose Lambda calls note the function's real state (a GetFunction) around each step. */
function stateTap(ports: AwsPorts, lambda: LambdaClient) {
  const seen: string[] = [];
  const state = async (name: string) =>
    (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration?.State ?? '?';
  const l = ports.lambda;
  const tapped: AwsPorts = {
    ...ports,
    lambda: {
      ...l,
      createFunction: async (input) => {
        const out = await l.createFunction(input);
        seen.push(`after CreateFunction: ${await state(input.FunctionName!)}`);
        return out;
      },
      getFunction: async (input) => {
        const out = await l.getFunction(input);
        seen.push(`deployer read: ${out.Configuration?.State ?? '?'}`);
        return out;
      },
      waitActive: async (name, maxWaitSeconds) => {
        seen.push(`wait for Active begins: ${await state(name)}`);
        await l.waitActive(name, maxWaitSeconds);
        seen.push(`wait for Active ends: ${await state(name)}`);
      },
      updateFunctionConfiguration: async (input) => {
        seen.push(`UpdateFunctionConfiguration sent: ${await state(input.FunctionName!)}`);
        return l.updateFunctionConfiguration(input);
      },
    },
  };
  return { ports: tapped, seen };
}

describe('functions still Pending when the next step runs (LocalStack only, by design)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const clients = testClients();

  beforeAll(async () => {
    if (backendName() !== 'localstack')
      throw new Error(`this file needs the LocalStack backend (backend: ${backendName()})`);
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await cleanup();
    clients.s3.destroy();
    clients.lambda.destroy();
    clients.iam.destroy();
  });

  it('a created function is Pending when its wait begins; the manifest follows once it is Active', async () => {
    const env = await freshEnv(dir);
    const appId = uniqueAppId('pend');
    const { spec } = await oneFunctionSpec(appId, PENDING_TEST_RUNTIMES[0]!, 'app.handler', {
      'app.rb': "def handler(event:, context:)\n  { statusCode: 200, body: 'ok' }\nend\n",
    });
    const bundle = await buildBundle(dir, 'pending-create', spec);
    const { ports, seen } = stateTap(env.ports, clients.lambda);
    const p = provisioner(env, ports);
    const { roleArn } = await p.ensureIam();

    const result = await p.provision(bundle, { runId: 'run-pending-1' });

    console.log(`LocalStack, a new function: ${seen.join(' → ')}`);
    expect(result.status).toBe('provisioned');
    // created Pending, then waited for, ending Active. The state the tap sees when the wait begins
    // races with LocalStack's preparation (the tap's own GetFunction takes time): the order matters
    const created = seen.indexOf('after CreateFunction: Pending');
    const waited = seen.findIndex((e, i) => i > created && e.startsWith('wait for Active begins'));
    expect({ createdPending: created >= 0, waitedAfterCreate: waited > created }).toEqual({
      createdPending: true,
      waitedAfterCreate: true,
    });
    expect(seen.at(-1)).toBe('wait for Active ends: Active');
    expect(await assertI1(env, bundle, roleArn)).toBe(true);
  });

  it("another run's function, still Pending, is waited for before its configuration is updated", async () => {
    const env = await freshEnv(dir);
    const appId = uniqueAppId('pend');
    const runtime = PENDING_TEST_RUNTIMES[1]!;
    const { spec, zip } = await oneFunctionSpec(appId, runtime, 'app.handler', {
      'app.py': "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n",
    });
    const bundle = await buildBundle(dir, 'pending-converge', spec);
    const fn = bundle.functions[0]!;
    const { ports, seen } = stateTap(env.ports, clients.lambda);
    // IAM first (once per run, memoized): the function's read then follows its creation at once, while
    // LocalStack still prepares it (the IAM pool's pace would otherwise let it become Active first)
    const p = provisioner(env, ports);
    const { roleArn } = await p.ensureIam();
    // another run created the function a moment ago (same code, tags; a memory size to converge)
    await clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: fn.lambdaName,
        Runtime: runtime as Runtime,
        Handler: 'app.handler',
        Role: roleArn,
        Code: { ZipFile: zip },
        Timeout: env.config.lambdaTimeoutSeconds,
        MemorySize: env.config.lambdaMemoryMb + 128,
        Tags: {
          [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
          [FUNCTION_TAGS.appId]: bundle.appId,
          [FUNCTION_TAGS.version]: bundle.version,
          [FUNCTION_TAGS.bundleSha256]: bundle.sha256Hex,
        },
      }),
    );

    const result = await p.provision(bundle, { runId: 'run-pending-2' });

    console.log(`LocalStack, a function another run left Pending: ${seen.join(' → ')}`);
    expect(result.status).toBe('provisioned');
    expect(result.functions.map((f) => f.outcome)).toEqual(['updated']);
    // the deployer read Pending, then waited, then updated an Active function. The state the tap sees
    // when the wait begins races with LocalStack's preparation (the tap's own GetFunction takes time):
    // what matters is the order, not that it is still Pending a moment later
    const read = seen.indexOf('deployer read: Pending');
    const waited = seen.findIndex((e, i) => i > read && e.startsWith('wait for Active begins'));
    const updated = seen.indexOf('UpdateFunctionConfiguration sent: Active');
    expect({ read: read >= 0, waitedAfterRead: waited > read, updatedAfterWait: updated > waited }).toEqual({
      read: true,
      waitedAfterRead: true,
      updatedAfterWait: true,
    });
    expect(await assertI1(env, bundle, roleArn)).toBe(true);
  });
});
