/**
 * deploy/iam/adoption-policy.json: the optional, one-time policy of `adopt`. It holds exactly
 * ADOPTION_IAM_ACTIONS (src/aws/clients.ts); with the deployer's policy it allows every call adopt
 * makes; it can tag only functions that carry no managed-by tag, only into management with the full
 * tag set; it can rewrite the invoke policy only while that policy is not the deployer's yet; and the
 * actions only adopt sends are nowhere in the deployer's own policy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ADOPTION_IAM_ACTIONS } from '../../../src/aws/iam-actions';
import { DEFAULTS } from '../../../src/config';
import { FUNCTION_TAGS } from '../../../src/provision/types';
import { ROOT } from './helm';

type OneOrMany = string | string[];
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: OneOrMany;
  Resource: OneOrMany;
  Condition?: Record<string, Record<string, OneOrMany>>;
}
type Context = Record<string, string | string[]>;

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const VALUES: Record<string, string> = {
  AWS_ACCOUNT_ID: ACCOUNT,
  AWS_REGION: REGION,
  INVOKE_POLICY: DEFAULTS.invokePolicyName,
  EXECUTE_ROLE: DEFAULTS.executeRoleName,
  INVOKE_GROUP: DEFAULTS.invokeGroupName,
  INVOKE_ROLE: 'mattermost-server',
  APPS_BUCKET: 'mm-apps',
  RELEASE_BUCKET: 'mm-releases',
  RELEASE_PREFIX: 'bundles/',
  RELEASE_ACCOUNT_ID: '210987654321',
  RELEASE_ROLE: 'release-reader',
};

function load(file: string): Statement[] {
  const text = readFileSync(path.join(ROOT, 'deploy/iam', file), 'utf8').replace(
    /\$\{([A-Z0-9_]+)\}/g,
    (whole, name: string) => VALUES[name] ?? whole,
  );
  return (JSON.parse(text) as { Statement: Statement[] }).Statement;
}

const list = (v: OneOrMany | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

/** The operators these documents use, as IAM evaluates them (a missing key fails all but Null and
 * ForAllValues). */
function holds(condition: Statement['Condition'], context: Context): boolean {
  return Object.entries(condition ?? {}).every(([operator, entries]) =>
    Object.entries(entries).every(([key, expected]) => {
      const actual = context[key];
      if (operator === 'Null') return (actual === undefined) === (list(expected)[0] === 'true');
      if (operator === 'ForAllValues:StringEquals')
        return list(actual).every((v) => list(expected).includes(v));
      if (actual === undefined || Array.isArray(actual)) return false;
      if (operator === 'StringEquals' || operator === 'ArnEquals') return list(expected).includes(actual);
      throw new Error(`operator ${operator} is not evaluated by this test; add it`);
    }),
  );
}

const allows = (statements: Statement[], action: string, resource: string, context: Context = {}) =>
  statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).some((a) => glob(a, action)) &&
      list(s.Resource).some((r) => glob(r, resource)) &&
      holds(s.Condition, context),
  );

describe('deploy/iam/adoption-policy.json', () => {
  const policy = load('adoption-policy.json');
  const deployer = load('deployer-policy.json');
  const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
  const invoke = `arn:aws:iam::${ACCOUNT}:policy/${DEFAULTS.invokePolicyName}`;
  const TAG = FUNCTION_TAGS.managedBy;
  const ALL_KEYS = [TAG, FUNCTION_TAGS.appId, FUNCTION_TAGS.version, FUNCTION_TAGS.bundleSha256];
  /** TagResource as adopt sends it, on a function upstream created (no tags) */
  const adoptTag: Context = {
    [`aws:RequestTag/${TAG}`]: FUNCTION_TAGS.managedByValue,
    'aws:TagKeys': ALL_KEYS,
  };

  it('holds exactly ADOPTION_IAM_ACTIONS (src/aws/clients.ts)', () => {
    const actions = new Set(policy.flatMap((s) => list(s.Action)));
    const declared = [
      ...ADOPTION_IAM_ACTIONS.lambdaAccount,
      ...ADOPTION_IAM_ACTIONS.lambdaRead,
      ...ADOPTION_IAM_ACTIONS.lambdaTag,
      ...ADOPTION_IAM_ACTIONS.iam,
    ];
    expect([...actions].sort()).toEqual([...new Set(declared)].sort());
  });

  it("adds only what the deployer's own policy never grants", () => {
    for (const action of ADOPTION_IAM_ACTIONS.adoptionOnly) {
      expect(policy.some((s) => list(s.Action).includes(action))).toBe(true);
      expect(deployer.some((s) => list(s.Action).some((a) => glob(a, action)))).toBe(false);
    }
  });

  it('tags only functions without a managed-by tag, only into management, only with our keys', () => {
    expect(allows(policy, 'lambda:TagResource', fn('com-x_1-0-0_send'), adoptTag)).toBe(true);
    // a function another tool manages (or one already ours: the deployer's policy covers that)
    for (const value of ['someone-else', FUNCTION_TAGS.managedByValue])
      expect(
        allows(policy, 'lambda:TagResource', fn('com-x_1-0-0_send'), {
          ...adoptTag,
          [`aws:ResourceTag/${TAG}`]: value,
        }),
      ).toBe(false);
    // without managed-by in the request, with other keys, or another value: refused
    expect(allows(policy, 'lambda:TagResource', fn('a_1_f'), { 'aws:TagKeys': [FUNCTION_TAGS.appId] })).toBe(
      false,
    );
    expect(
      allows(policy, 'lambda:TagResource', fn('a_1_f'), { ...adoptTag, 'aws:TagKeys': [...ALL_KEYS, 'x'] }),
    ).toBe(false);
    expect(
      allows(policy, 'lambda:TagResource', fn('a_1_f'), { ...adoptTag, [`aws:RequestTag/${TAG}`]: 'other' }),
    ).toBe(false);
    // not an app function name, another account
    expect(allows(policy, 'lambda:TagResource', fn('billing'), adoptTag)).toBe(false);
    expect(
      allows(policy, 'lambda:TagResource', `arn:aws:lambda:${REGION}:999999999999:function:a_1_f`, adoptTag),
    ).toBe(false);
  });

  it('reads any function of the account (to report those of the execute role) and lists them', () => {
    expect(allows(policy, 'lambda:GetFunction', fn('billing'))).toBe(true);
    expect(allows(policy, 'lambda:ListTags', fn('billing'))).toBe(true);
    expect(allows(policy, 'lambda:ListFunctions', '*')).toBe(true);
    // no other Lambda write: no code, configuration or delete
    for (const action of ['lambda:UpdateFunctionCode', 'lambda:DeleteFunction', 'lambda:UntagResource'])
      expect(allows(policy, action, fn('a_1_f'), adoptTag)).toBe(false);
  });

  it("rewrites the invoke policy only while it is upstream's (no managed-by tag), and no other policy", () => {
    for (const action of ADOPTION_IAM_ACTIONS.iam) {
      expect(allows(policy, action, invoke)).toBe(true);
      expect(
        allows(policy, action, invoke, { [`aws:ResourceTag/${TAG}`]: FUNCTION_TAGS.managedByValue }),
      ).toBe(false);
      expect(allows(policy, action, `arn:aws:iam::${ACCOUNT}:policy/AdminAccess`)).toBe(false);
    }
    expect(allows(policy, 'iam:SetDefaultPolicyVersion', invoke)).toBe(false);
  });

  it('with the deployer policy, allows every call adopt makes', () => {
    const both = [...policy, ...deployer];
    const role = `arn:aws:iam::${ACCOUNT}:role/${DEFAULTS.executeRoleName}`;
    expect(allows(both, 'iam:GetRole', role)).toBe(true);
    expect(allows(both, 'iam:TagRole', role)).toBe(true);
    expect(allows(both, 'iam:GetPolicy', invoke)).toBe(true);
    expect(allows(both, 'iam:GetPolicyVersion', invoke)).toBe(true);
    expect(allows(both, 'iam:TagPolicy', invoke)).toBe(true);
    expect(allows(both, 'iam:CreatePolicyVersion', invoke)).toBe(true);
    expect(allows(both, 'lambda:TagResource', fn('com-x_1-0-0_send'), adoptTag)).toBe(true);
    const apps = `arn:aws:s3:::${VALUES.APPS_BUCKET}`;
    expect(allows(both, 's3:PutObject', `${apps}/manifests/com.x_1.0.0.json`)).toBe(true);
    expect(allows(both, 's3:PutObject', `${apps}/deployer/seen/com.x_1.0.0/e/provisioned-v1`)).toBe(true);
  });
});
