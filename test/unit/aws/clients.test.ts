/**
 * The factory's contract that unit tests can see without a network: the request counter, the IAM
 * actions list, and the ports' shape. (Counting and rate limiting of real requests are shown against
 * moto in test/integration/provision/harness.test.ts.)
 */
import { createAwsPorts } from '../../../src/aws/clients';
import { MemoryRequestCounter } from '../../../src/aws/sdk-support';
import { ADOPTION_IAM_ACTIONS, DEPLOYER_IAM_ACTIONS } from '../../../src/aws/iam-actions';
import { WRITE_OPERATIONS } from '../../../src/provision/guard';

describe('MemoryRequestCounter', () => {
  it('counts by operation, sorted, and resets', () => {
    const c = new MemoryRequestCounter();
    c.add('S3.PutObject');
    c.add('Lambda.GetFunction');
    c.add('S3.PutObject');
    expect(c.snapshot()).toEqual({ 'Lambda.GetFunction': 1, 'S3.PutObject': 2 });
    expect(Object.keys(c.snapshot())).toEqual(['Lambda.GetFunction', 'S3.PutObject']);
    c.reset();
    expect(c.snapshot()).toEqual({});
  });
});

describe('createAwsPorts', () => {
  it('builds every port method without sending anything', () => {
    const ports = createAwsPorts({ region: 'eu-west-1', maxAttempts: 3 });
    expect(ports.region).toBe('eu-west-1');
    expect(ports.requests.snapshot()).toEqual({});
    for (const [service, methods] of Object.entries(WRITE_OPERATIONS)) {
      const port = ports[service as keyof typeof WRITE_OPERATIONS] as unknown as Record<string, unknown>;
      for (const m of methods)
        expect({ service, m, type: typeof port[m] }).toEqual({ service, m, type: 'function' });
    }
    expect(ports.clock?.synced).toBe(false);
  });
});

describe('DEPLOYER_IAM_ACTIONS', () => {
  it('names an action for every write the deployer makes, and lambda:ListTags for GetFunction tags', () => {
    const all: string[] = [
      ...DEPLOYER_IAM_ACTIONS.s3,
      ...DEPLOYER_IAM_ACTIONS.lambda,
      ...DEPLOYER_IAM_ACTIONS.iam,
      // adopt's rewrite of upstream's invoke policy: deploy/iam/adoption-policy.json only
      ...ADOPTION_IAM_ACTIONS.iam,
    ];
    for (const m of WRITE_OPERATIONS.lambda) {
      expect(all).toContain(`lambda:${m[0]!.toUpperCase()}${m.slice(1)}`);
    }
    for (const m of WRITE_OPERATIONS.iam) expect(all).toContain(`iam:${m[0]!.toUpperCase()}${m.slice(1)}`);
    expect(all).toEqual(
      expect.arrayContaining(['lambda:ListTags', 'iam:PassRole', 's3:PutObject', 's3:DeleteObject']),
    );
  });
});
