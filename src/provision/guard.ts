/**
 * Write guard: wraps the ports so that `assertCanWrite()` runs before every AWS write (reconcile's
 * lock renewal throws from it to stop all writes). Reads pass through unguarded. Structural, so no
 * step can forget it.
 */
import type { AwsPorts, IamPort, LambdaPort, LogsPort, S3Port } from '../aws/ports';

/** The write operations of each port. */
export const WRITE_OPERATIONS = {
  s3: ['putObject', 'deleteObject', 'upload'],
  lambda: [
    'createFunction',
    'updateFunctionCode',
    'updateFunctionConfiguration',
    'tagResource',
    'untagResource',
    'putFunctionConcurrency',
    'deleteFunctionConcurrency',
  ],
  iam: [
    'createRole',
    'attachRolePolicy',
    'detachRolePolicy',
    'createPolicy',
    'attachGroupPolicy',
    'createGroup',
    'tagRole',
    'tagPolicy',
    'createPolicyVersion',
    'deletePolicyVersion',
  ],
  logs: ['createLogGroup', 'putRetentionPolicy'],
} as const satisfies {
  s3: readonly (keyof S3Port)[];
  lambda: readonly (keyof LambdaPort)[];
  iam: readonly (keyof IamPort)[];
  logs: readonly (keyof LogsPort)[];
};

function guardPort<P extends object>(port: P, writes: readonly string[], before: () => void): P {
  const guarded = { ...port } as Record<string, unknown>;
  for (const name of writes) {
    const original = (port as Record<string, unknown>)[name];
    if (typeof original !== 'function') continue;
    guarded[name] = async (...args: unknown[]): Promise<unknown> => {
      before();
      return (original as (...a: unknown[]) => Promise<unknown>).apply(port, args);
    };
  }
  return guarded as P;
}

export function guardWrites(ports: AwsPorts, assertCanWrite: (() => void) | undefined): AwsPorts {
  if (!assertCanWrite) return ports;
  return {
    ...ports,
    s3: guardPort(ports.s3, WRITE_OPERATIONS.s3, assertCanWrite),
    lambda: guardPort(ports.lambda, WRITE_OPERATIONS.lambda, assertCanWrite),
    iam: guardPort(ports.iam, WRITE_OPERATIONS.iam, assertCanWrite),
    logs: guardPort(ports.logs, WRITE_OPERATIONS.logs, assertCanWrite),
  };
}
