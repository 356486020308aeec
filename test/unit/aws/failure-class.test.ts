/**
 * The one classifier (src/aws/failure-class.ts), row by row: the SDK's own exception classes where
 * they exist, errors shaped as the SDK raises them (name, Code, $metadata.httpStatusCode) otherwise,
 * Node network errors, and our DeployerErrors wrapping them.
 */
import {
  CodeStorageExceededException,
  CodeVerificationFailedException,
  InvalidCodeSignatureException,
  InvalidParameterValueException,
  ResourceConflictException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { NoSuchBucket } from '@aws-sdk/client-s3';
import { AwsConfigurationError, AwsUnavailableError, WaiterTimeoutError } from '../../../src/aws/errors';
import {
  classifyFailure,
  FAILURE_RULES,
  toRunError,
  type FailureClass,
} from '../../../src/aws/failure-class';
import { ExitCode } from '../../../src/errors';
import { DeadlineError, IamError, ProvisionStepError } from '../../../src/provision/errors';
import { LockHeldError, LockLostError, S3AccessError } from '../../../src/reconcile/errors';

const meta = { $metadata: { httpStatusCode: 400 } };
const sdk = (name: string, status: number, message = name): Error =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const net = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
const inStep = (step: string, cause: unknown) =>
  new ProvisionStepError({ step, resource: 'r', bundle: 'b.zip', cause });

const cases: [string, unknown, FailureClass, string][] = [
  // permanent: only the listed errors the bundle's content causes
  [
    'code signature',
    new CodeVerificationFailedException({ message: 'x', ...meta }),
    'permanent',
    'lambda-code-refused',
  ],
  [
    'integrity',
    new InvalidCodeSignatureException({ message: 'x', ...meta }),
    'permanent',
    'lambda-code-refused',
  ],
  ['request too large', sdk('RequestEntityTooLargeException', 413), 'permanent', 'lambda-code-refused'],
  [
    'unzipped size',
    inStep(
      'function',
      new InvalidParameterValueException({
        message: 'Unzipped size must be smaller than 262144000 bytes',
        ...meta,
      }),
    ),
    'permanent',
    'lambda-code-invalid',
  ],
  [
    'cannot unzip',
    inStep(
      'function',
      new InvalidParameterValueException({ message: 'Could not unzip uploaded file.', ...meta }),
    ),
    'permanent',
    'lambda-code-invalid',
  ],
  [
    'handler',
    inStep(
      'function',
      new InvalidParameterValueException({
        message: "Value at 'handler' failed to satisfy constraint",
        ...meta,
      }),
    ),
    'permanent',
    'lambda-code-invalid',
  ],
  ['manifest refused', inStep('manifest', sdk('MetadataTooLarge', 400)), 'permanent', 'manifest-refused'],
  [
    'manifest invalid argument',
    inStep('manifest', sdk('InvalidArgument', 400)),
    'permanent',
    'manifest-refused',
  ],
  // ... the same names elsewhere are not the bundle's fault
  ['invalid argument on an asset', inStep('asset', sdk('InvalidArgument', 400)), 'transient', 'unknown'],
  [
    'handler outside the function step',
    new InvalidParameterValueException({ message: 'bad handler', ...meta }),
    'transient',
    'unknown',
  ],
  // transient
  [
    'IAM propagation',
    inStep(
      'function',
      new InvalidParameterValueException({
        message: 'The role defined for the function cannot be assumed by Lambda.',
        ...meta,
      }),
    ),
    'transient',
    'iam-propagation',
  ],
  [
    'throttled',
    new TooManyRequestsException({ message: 'Rate exceeded', ...meta }),
    'transient',
    'throttling',
  ],
  ['SlowDown', sdk('SlowDown', 503), 'transient', 'throttling'],
  ['429', sdk('Whatever', 429), 'transient', 'throttling-429'],
  [
    '5xx',
    new ServiceException({ message: 'x', $metadata: { httpStatusCode: 500 } }),
    'transient',
    'server-error',
  ],
  ['503 without a code', sdk('UnknownError', 503), 'transient', 'server-error-5xx'],
  [
    'update in progress',
    new ResourceConflictException({ message: 'x', ...meta }),
    'transient',
    'update-in-progress',
  ],
  ['connection refused', net('ECONNREFUSED'), 'transient', 'network'],
  ['reset', inStep('asset', net('ECONNRESET')), 'transient', 'network'],
  [
    'deadline',
    new DeadlineError({ step: 's', resource: 'r', deadlineMs: 1, attempts: 2, reason: 'x' }),
    'transient',
    'deployer:DEADLINE',
  ],
  ['waiter', new WaiterTimeoutError('FunctionActiveV2', 'f', 5), 'transient', 'deployer:AWS_WAIT_TIMEOUT'],
  ['lock lost', new LockLostError('deployer/lock', 'taken over'), 'transient', 'deployer:LOCK_LOST'],
  ['unknown', Object.assign(new Error('odd'), { name: 'FancyNewException' }), 'transient', 'unknown'],
  // configuration
  ['access denied (S3)', sdk('AccessDenied', 403), 'configuration', 'access-denied'],
  [
    'access denied (Lambda)',
    inStep('function', sdk('AccessDeniedException', 403)),
    'configuration',
    'access-denied',
  ],
  ['UnauthorizedOperation', sdk('UnauthorizedOperation', 400), 'configuration', 'access-denied'],
  ['403 on a HEAD', sdk('Forbidden', 403), 'configuration', 'access-denied'],
  ['403 without a code', sdk('UnknownError', 403), 'configuration', 'forbidden'],
  [
    'no such bucket',
    new NoSuchBucket({ message: 'x', $metadata: { httpStatusCode: 404 } }),
    'configuration',
    'no-such-bucket',
  ],
  [
    'listing a missing bucket',
    new S3AccessError('list', 's3://b/', sdk('NoSuchBucket', 404)),
    'configuration',
    'no-such-bucket',
  ],
  [
    'no credentials',
    Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    }),
    'configuration',
    'credentials',
  ],
  ['bad key', sdk('InvalidAccessKeyId', 403), 'configuration', 'credentials'],
  ['bad secret', sdk('SignatureDoesNotMatch', 403), 'configuration', 'credentials'],
  [
    'code storage quota',
    new CodeStorageExceededException({ message: 'x', ...meta }),
    'configuration',
    'quota',
  ],
  ['IAM quota', sdk('LimitExceeded', 409), 'configuration', 'quota'],
  ['missing role', inStep('iam', sdk('NoSuchEntity', 404)), 'configuration', 'missing-role'],
  [
    'wrong trust policy',
    new IamError('cannot assume', { resource: 'role', hint: 'fix it' }),
    'configuration',
    'deployer:IAM',
  ],
  [
    'a VPC setting',
    inStep(
      'function',
      new InvalidParameterValueException({ message: 'The provided subnet ids are invalid', ...meta }),
    ),
    'configuration',
    'lambda-settings',
  ],
];

describe('classifyFailure', () => {
  it.each(cases)('%s', (_label, err, failureClass, rule) => {
    expect(classifyFailure(err)).toMatchObject({ failureClass, rule });
  });

  it('reports the class name of an error of no known class, so that the table can grow', () => {
    const c = classifyFailure(
      inStep('asset', Object.assign(new Error('odd'), { name: 'FancyNewException' })),
    );
    expect(c).toMatchObject({
      failureClass: 'transient',
      rule: 'unknown',
      name: 'FancyNewException',
      step: 'asset',
    });
  });

  it('names the code of a Node network error, not "Error"', () => {
    expect(classifyFailure(net('ECONNREFUSED')).name).toBe('ECONNREFUSED');
  });

  it('names what to fix for every configuration row', () => {
    for (const rule of FAILURE_RULES.filter((r) => r.failureClass === 'configuration'))
      expect({ id: rule.id, fix: rule.fix }).toEqual({
        id: rule.id,
        fix: expect.stringMatching(/[A-Z][A-Z_]{5,}|deploy\/iam\/|Service Quotas/),
      });
    expect(classifyFailure(sdk('NoSuchBucket', 404)).fix).toMatch(
      /MM_APPS_S3_BUCKET.*MM_APPS_RELEASE_BUCKET/,
    );
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'CredentialsProviderError' })).fix).toMatch(
      /AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY/,
    );
    expect(classifyFailure(sdk('AccessDenied', 403)).fix).toMatch(/deployer-policy\.json/);
  });
});

describe('toRunError (failures before any bundle work)', () => {
  it('turns configuration into exit 2 naming the fix, and transient into exit 4', () => {
    const config = toRunError(new S3AccessError('list', 's3://b/', sdk('NoSuchBucket', 404)), 'list');
    expect(config).toBeInstanceOf(AwsConfigurationError);
    expect((config as AwsConfigurationError).exitCode).toBe(ExitCode.Usage);
    expect((config as AwsConfigurationError).describe()).toMatch(/NoSuchBucket.*MM_APPS_S3_BUCKET/);
    const down = toRunError(net('ECONNREFUSED'), 'list');
    expect(down).toBeInstanceOf(AwsUnavailableError);
    expect((down as AwsUnavailableError).exitCode).toBe(ExitCode.Unavailable);
    expect((down as AwsUnavailableError).message).toMatch(/ECONNREFUSED/);
  });

  it('keeps errors that carry their own exit code (the lock held: 3)', () => {
    const held = new LockHeldError('deployer/lock', undefined, undefined, undefined);
    expect(toRunError(held, 'take the lock')).toBe(held);
  });

  it('leaves a permanent failure as it is', () => {
    const err = inStep('manifest', sdk('MetadataTooLarge', 400));
    expect(toRunError(err, 'x')).toBe(err);
  });
});
