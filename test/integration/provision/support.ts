/**
 * Shared setup of the provisioner's integration tests (moto server, via the harness): a fresh bucket
 * and fresh IAM names per test, bundles built with the bundle builder, an independent check of
 * invariant I1 with raw SDK clients, and port wrappers that count or interrupt writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { AwsPorts } from '../../../src/aws/ports';
import { validateBundle } from '../../../src/bundle';
import type { Bundle } from '../../../src/bundle/types';
import type { DeployerConfig } from '../../../src/config';
import { silentLogger } from '../../../src/log';
import { WRITE_OPERATIONS } from '../../../src/provision/guard';
import { Provisioner } from '../../../src/provision/provisioner';
import { FUNCTION_TAGS, type ProvisionEvent } from '../../../src/provision/types';
import { writeBundle, type BundleSpec } from '../../support/bundle-builder';
import { testClients, testDeployerConfig, testPorts, uniqueBucket, uniqueName } from '../../support/emulator';

/** Request counter keys that are writes ("S3.PutObject", "Lambda.CreateFunction", ...). */
export function writeRequests(snapshot: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(snapshot).filter(([op]) =>
      /\.(Put|Create|Update|Delete|Tag|Untag|Attach|Upload|Complete)/.test(op),
    ),
  );
}

/** An app id no other test uses (Lambda names are global in the emulator). */
export function uniqueAppId(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}.servicenow`;
}

export interface Env {
  bucket: string;
  config: DeployerConfig;
  ports: AwsPorts;
  dir: string;
}

export async function freshEnv(dir: string, overrides: Partial<DeployerConfig> = {}): Promise<Env> {
  const bucket = await uniqueBucket('prov');
  const config = testDeployerConfig({
    appsBucket: bucket,
    releaseBucket: bucket,
    executeRoleName: uniqueName('role'),
    invokePolicyName: uniqueName('invoke'),
    invokeGroupName: uniqueName('group'),
    ...overrides,
  });
  return { bucket, config, ports: testPorts(), dir };
}

export async function buildBundle(dir: string, name: string, spec: BundleSpec): Promise<Bundle> {
  const file = await writeBundle(path.join(dir, `${name}.zip`), spec);
  const result = await validateBundle(file);
  if (!result.ok) throw new Error(`test bundle ${name} is invalid: ${JSON.stringify(result.errors)}`);
  return result.bundle;
}

export function provisioner(
  env: Env,
  ports: AwsPorts = env.ports,
  events?: ProvisionEvent[],
  config: DeployerConfig = env.config,
): Provisioner {
  return new Provisioner({
    ports,
    config,
    logger: silentLogger(),
    onEvent: events ? (e) => events.push(e) : undefined,
    tuning: { retryBaseDelayMs: 20, retryMaxDelayMs: 100, waitActiveSeconds: 30, waitUpdatedSeconds: 30 },
  });
}

export class SimulatedCrash extends Error {
  constructor(readonly writeIndex: number) {
    super(`simulated crash at write ${writeIndex}`);
    this.name = 'SimulatedCrash';
  }
}

export interface InterruptOptions {
  /** crash when the write with this 0-based index is reached */
  at: number;
  /** 'before': the write is not sent · 'after': it is sent and succeeds, then the process "dies" */
  when: 'before' | 'after';
}

/**
 * Wraps the ports: counts writes (in call order) and optionally simulates a crash at one of them.
 * After a crash every later write fails too (a dead process sends nothing), and `onWrite` runs after
 * each successful write (to check invariants between steps).
 */
export function writeTap(
  ports: AwsPorts,
  options: { interrupt?: InterruptOptions; onWrite?: (op: string) => Promise<void> } = {},
): { ports: AwsPorts; writes: string[] } {
  const writes: string[] = [];
  let crashed = false;
  const wrap = <P extends object>(service: 's3' | 'lambda' | 'iam', port: P): P => {
    const out = { ...port } as Record<string, unknown>;
    for (const method of WRITE_OPERATIONS[service]) {
      const original = (port as Record<string, unknown>)[method] as (...a: unknown[]) => Promise<unknown>;
      out[method] = async (...args: unknown[]) => {
        const index = writes.length;
        if (crashed) throw new SimulatedCrash(index);
        writes.push(`${service}.${method}`);
        const i = options.interrupt;
        if (i && i.at === index && i.when === 'before') {
          crashed = true;
          throw new SimulatedCrash(index);
        }
        const result = await original.apply(port, args);
        if (i && i.at === index && i.when === 'after') {
          crashed = true;
          throw new SimulatedCrash(index);
        }
        await options.onWrite?.(`${service}.${method}`);
        return result;
      };
    }
    return out as P;
  };
  return {
    ports: {
      ...ports,
      s3: wrap('s3', ports.s3),
      lambda: wrap('lambda', ports.lambda),
      iam: wrap('iam', ports.iam),
    },
    writes,
  };
}

/** Lambda's CodeSha256 of a zip: base64 of its sha256. */
export function codeSha256(zip: Buffer): string {
  return createHash('sha256').update(zip).digest('base64');
}

/**
 * Invariant I1, checked with raw SDK clients (not the ports under test): when the manifest exists,
 * every function exists with the bundle's code, configuration and tags, and every asset exists with
 * its sha256. Returns whether the manifest exists.
 */
export async function assertI1(env: Env, bundle: Bundle, roleArn: string): Promise<boolean> {
  const { s3, lambda } = testClients();
  try {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: bundle.manifestKey }));
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return false;
      throw err;
    }
    for (const fn of bundle.functions) {
      const got = await lambda.send(new GetFunctionCommand({ FunctionName: fn.lambdaName }));
      const c = got.Configuration;
      const where = `I1: function ${fn.lambdaName}`;
      expect({ where, CodeSha256: c?.CodeSha256 }).toEqual({ where, CodeSha256: fn.codeSha256 });
      expect({ where, Runtime: c?.Runtime, Handler: c?.Handler, Role: c?.Role }).toEqual({
        where,
        Runtime: fn.runtime,
        Handler: fn.handler,
        Role: roleArn,
      });
      expect({ where, Timeout: c?.Timeout, MemorySize: c?.MemorySize }).toEqual({
        where,
        Timeout: env.config.lambdaTimeoutSeconds,
        MemorySize: env.config.lambdaMemoryMb,
      });
      expect({ where, tags: got.Tags }).toEqual({
        where,
        tags: expect.objectContaining({
          [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
          [FUNCTION_TAGS.appId]: bundle.appId,
          [FUNCTION_TAGS.version]: bundle.version,
          [FUNCTION_TAGS.bundleSha256]: bundle.sha256Hex,
        }),
      });
    }
    for (const asset of bundle.assets) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: asset.key }));
      expect({ key: asset.key, sha256: head.Metadata?.sha256 }).toEqual({
        key: asset.key,
        sha256: asset.sha256Hex,
      });
    }
    return true;
  } finally {
    s3.destroy();
    lambda.destroy();
  }
}

/** The execute role's ARN read with a raw client, or "" when the role does not exist (yet). */
export async function roleArnOf(env: Env): Promise<string> {
  const { iam } = testClients();
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: env.config.executeRoleName }))).Role?.Arn ?? '';
  } catch (err) {
    if ((err as Error).name === 'NoSuchEntityException' || (err as Error).name === 'NoSuchEntity') return '';
    throw err;
  } finally {
    iam.destroy();
  }
}
