/**
 * deploy/: the IAM documents parse, their placeholders are the documented ones, and the deployer's
 * policy allows exactly what the code sends (DEPLOYER_IAM_ACTIONS, and every SDK command imported
 * under src/), on the resources it touches and no others. The GitLab CI template and the
 * docker-compose stack are checked against the CLI and the configuration they drive.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ADOPTION_IAM_ACTIONS, DEPLOYER_IAM_ACTIONS } from '../../../src/aws/iam-actions';
import { DEFAULTS, ENV } from '../../../src/config';
import { executeRoleTrustPolicy, wantedInvokePolicyDocument } from '../../../src/provision/iam';
import { FUNCTION_TAGS } from '../../../src/provision/types';
import { uploaderPolicyDocument } from '../../../src/upload/policy';
import { STATE_KEYS } from '../../../src/reconcile/types';
import { ROOT, readYaml } from './helm';

const DEPLOY = path.join(ROOT, 'deploy');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

// ---------------------------------------------------------------------------------------------------
// IAM documents

type OneOrMany = string | string[];
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: OneOrMany;
  Resource?: OneOrMany;
  Principal?: '*' | Record<string, OneOrMany>;
  Condition?: Record<string, Record<string, OneOrMany>>;
}
interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

const SAMPLE = {
  AWS_ACCOUNT_ID: '123456789012',
  AWS_REGION: 'eu-west-1',
  APPS_BUCKET: 'mm-apps',
  RELEASE_BUCKET: 'mm-releases',
  RELEASE_PREFIX: 'bundles/',
  EXECUTE_ROLE: DEFAULTS.executeRoleName,
  INVOKE_POLICY: DEFAULTS.invokePolicyName,
  INVOKE_GROUP: DEFAULTS.invokeGroupName,
  INVOKE_ROLE: 'mattermost-server',
  EKS_OIDC_PROVIDER: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E',
  K8S_NAMESPACE: 'mattermost-apps',
  K8S_SERVICE_ACCOUNT: 'apps-deployer',
  APP_ID: 'com.example.a',
  RELEASE_ACCOUNT_ID: '210987654321',
  RELEASE_ROLE: 'mattermost-apps-release-reader',
  DEPLOYER_ROLE: 'apps-deployer',
  RELEASE_EXTERNAL_ID: 'mm-cloud-apps',
} as const;
type Placeholder = keyof typeof SAMPLE;

const iamFiles = readdirSync(path.join(DEPLOY, 'iam')).filter((f) => f.endsWith('.json'));
const placeholdersIn = (text: string) =>
  new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));

function loadPolicy(file: string, values: Record<string, string> = SAMPLE): PolicyDocument {
  const text = read(`deploy/iam/${file}`).replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`${file}: no sample value for placeholder ${whole}`);
    return v;
  });
  return JSON.parse(text) as PolicyDocument;
}

const list = (v: OneOrMany | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

type Context = Record<string, string | string[]>;

/** The condition operators our documents use, evaluated against a request context as IAM does
 * (a missing key fails every operator but Null and the ForAllValues: set operators). */
function conditionHolds(condition: Statement['Condition'], context: Context): boolean {
  return Object.entries(condition ?? {}).every(([operator, entries]) =>
    Object.entries(entries).every(([key, expected]) => {
      const actual = context[key];
      if (operator === 'Null') return (actual === undefined) === (list(expected)[0] === 'true');
      if (operator === 'ForAllValues:StringEquals')
        return list(actual).every((v) => list(expected).includes(v));
      if (actual === undefined || Array.isArray(actual)) return false;
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
        case 'Bool':
          return list(expected).includes(actual);
        case 'StringLike':
        case 'ArnLike':
          return list(expected).some((p) => glob(p, actual));
        default:
          throw new Error(`condition operator ${operator} is not evaluated by this test; add it`);
      }
    }),
  );
}

const matches = (s: Statement, action: string, resource: string, context: Context) =>
  list(s.Action).some((a) => glob(a, action)) &&
  list(s.Resource).some((r) => glob(r, resource)) &&
  conditionHolds(s.Condition, context);

/** A tiny evaluator of identity policies (Allow statements): is `action` on `resource` allowed? */
function allows(policy: PolicyDocument, action: string, resource: string, context: Context = {}) {
  return policy.Statement.some((s) => s.Effect === 'Allow' && matches(s, action, resource, context));
}
/** Does a Deny statement (the bucket policy) refuse the request? */
function denies(policy: PolicyDocument, action: string, resource: string, context: Context = {}) {
  return policy.Statement.some((s) => s.Effect === 'Deny' && matches(s, action, resource, context));
}
const actionsOf = (policy: PolicyDocument) => new Set(policy.Statement.flatMap((s) => list(s.Action)));

describe('deploy/iam documents', () => {
  it('has the expected documents', () => {
    expect(iamFiles.sort()).toEqual([
      'adoption-policy.json',
      'deployer-policy.json',
      'execute-role-trust-policy.json',
      'invoke-policy.json',
      'irsa-trust-policy.json',
      'release-bucket-policy.json',
      'release-role-policy.json',
      'release-role-trust-policy.json',
      'uploader-per-app-policy.json',
      'uploader-policy.json',
    ]);
  });

  it.each(iamFiles)('%s parses as JSON, as it is and with its placeholders filled', (file) => {
    expect(() => JSON.parse(read(`deploy/iam/${file}`)) as unknown).not.toThrow();
    const policy = loadPolicy(file);
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.length).toBeGreaterThan(0);
    expect(JSON.stringify(policy)).not.toContain('${');
    for (const s of policy.Statement) {
      // only the bucket policy denies (everyone: Principal "*"); every identity policy allows
      expect(s.Effect).toBe(file === 'release-bucket-policy.json' ? 'Deny' : 'Allow');
      expect(list(s.Action).length).toBeGreaterThan(0);
      // no blanket permission anywhere
      for (const a of list(s.Action)) expect(a).not.toMatch(/^(\*|[a-z0-9]+:\*)$/);
      // "*" only for reads that have no resource type: the EC2 reads Lambda requires for VpcConfig,
      // and Lambda's account settings and function list (ListFunctions supports no resource ARN:
      // adoption finds upstream's functions; prune keeps staged code any function uses)
      if (
        !list(s.Action).every((a) =>
          /^(ec2:Describe[A-Za-z]+|lambda:GetAccountSettings|lambda:ListFunctions)$/.test(a),
        )
      )
        for (const r of list(s.Resource)) expect(r).not.toBe('*');
    }
  });

  it('uses exactly the placeholders documented in deploy/README.md', () => {
    const readme = read('deploy/README.md');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    const used = new Set(iamFiles.flatMap((f) => [...placeholdersIn(read(`deploy/iam/${f}`))]));
    expect([...used].sort()).toEqual([...documented].sort());
    expect([...used].sort()).toEqual(Object.keys(SAMPLE).sort() as Placeholder[]);
    for (const f of iamFiles) expect(readme).toContain(f);
  });

  describe('deployer-policy.json', () => {
    const policy = loadPolicy('deployer-policy.json');
    const {
      AWS_ACCOUNT_ID: account,
      AWS_REGION: region,
      APPS_BUCKET: apps,
      RELEASE_BUCKET: releases,
    } = SAMPLE;
    const s3 = (bucket: string, key?: string) =>
      `arn:aws:s3:::${bucket}${key === undefined ? '' : `/${key}`}`;
    const fn = (name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;
    const role = (name: string) => `arn:aws:iam::${account}:role/${name}`;
    const iamPolicy = (name: string) => `arn:aws:iam::${account}:policy/${name}`;
    const group = (name: string) => `arn:aws:iam::${account}:group/${name}`;

    it('holds exactly DEPLOYER_IAM_ACTIONS (src/aws/clients.ts) and the tag-on-create permissions', () => {
      const declared = Object.values(DEPLOYER_IAM_ACTIONS).flat() as string[];
      const expected = new Set([...declared, ...tagOnCreateActionsFromSource()]);
      expect([...actionsOf(policy)].sort()).toEqual([...expected].sort());
    });

    it('allows every AWS SDK command that src/ imports', () => {
      const required = requiredActionsFromSource();
      // guard against a vacuous pass: the scan must see the deployer's known calls
      for (const a of ['s3:PutObject', 's3:ListBucket', 'lambda:CreateFunction', 'iam:CreateRole']) {
        expect(required).toContain(a);
      }
      const allowed = actionsOf(policy);
      // adopt's own actions are in the optional adoption-policy.json (test/unit/deploy/adoption-policy.test.ts)
      const adoptionOnly = new Set<string>(ADOPTION_IAM_ACTIONS.adoptionOnly);
      expect([...required].filter((a) => !allowed.has(a) && !adoptionOnly.has(a))).toEqual([]);
      // creating a role or policy with tags also needs the tagging action (AWS checks both)
      expect([...tagOnCreateActionsFromSource()].filter((a) => !allowed.has(a))).toEqual([]);
    });

    it('reads release bundles, and writes only the apps bucket keys the deployer owns', () => {
      const bundle = `${SAMPLE.RELEASE_PREFIX}com.example.app_1.0.0.zip`;
      expect(allows(policy, 's3:ListBucket', s3(releases))).toBe(true);
      expect(allows(policy, 's3:ListBucket', s3(apps))).toBe(true);
      expect(allows(policy, 's3:GetObject', s3(releases, bundle))).toBe(true);
      expect(allows(policy, 's3:PutObject', s3(releases, bundle))).toBe(false);
      expect(allows(policy, 's3:DeleteObject', s3(releases, bundle))).toBe(false);
      expect(allows(policy, 's3:GetObject', s3(releases, 'elsewhere/x.zip'))).toBe(false);

      const owned = [
        STATE_KEYS.lock,
        `${STATE_KEYS.seenPrefix}com.example.app_1.0.0/abc/provisioned-v1`,
        `${STATE_KEYS.runsPrefix}run-1.json`,
        `${STATE_KEYS.codePrefix}0123.zip`,
        `${STATE_KEYS.manifestsPrefix}com.example.app_1.0.0.json`,
        'static/com.example.app_1.0.0_app/icon.png',
      ];
      for (const key of owned) {
        for (const action of ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload']) {
          expect({ action, key, allowed: allows(policy, action, s3(apps, key)) }).toEqual({
            action,
            key,
            allowed: true,
          });
        }
      }
      expect(allows(policy, 's3:DeleteObject', s3(apps, STATE_KEYS.lock))).toBe(true);
      expect(allows(policy, 's3:DeleteObject', s3(apps, `${STATE_KEYS.manifestsPrefix}a_1.json`))).toBe(true);
      // prune retires a version's static assets (only keys its bundle named: src/prune/retire.ts)
      expect(allows(policy, 's3:DeleteObject', s3(apps, 'static/a_1_app/icon.png'))).toBe(true);
      expect(allows(policy, 's3:DeleteObject', s3(apps, 'other/key'))).toBe(false);
      expect(allows(policy, 's3:PutObject', s3(apps, 'other/key'))).toBe(false);
      expect(allows(policy, 's3:GetObject', s3('another-bucket', STATE_KEYS.lock))).toBe(false);
    });

    const TAG = FUNCTION_TAGS.managedBy;
    const ALL_TAG_KEYS = [TAG, FUNCTION_TAGS.appId, FUNCTION_TAGS.version, FUNCTION_TAGS.bundleSha256];
    /** a request on a function the deployer manages, sending the full tag set */
    const managed: Context = {
      [`aws:ResourceTag/${TAG}`]: FUNCTION_TAGS.managedByValue,
      [`aws:RequestTag/${TAG}`]: FUNCTION_TAGS.managedByValue,
      'aws:TagKeys': ALL_TAG_KEYS,
    };
    const READS = ['lambda:GetFunction', 'lambda:ListTags'];
    const writesOf = (actions: readonly string[]) => actions.filter((a) => !READS.includes(a));

    it('manages functions of its own account and region only', () => {
      for (const action of DEPLOYER_IAM_ACTIONS.lambda) {
        const context =
          action === 'lambda:UntagResource' ? { ...managed, 'aws:TagKeys': [FUNCTION_TAGS.appId] } : managed;
        expect({
          action,
          allowed: allows(policy, action, fn('com-example-app_1-0-0_send'), context),
        }).toEqual({
          action,
          allowed: true,
        });
        expect(allows(policy, action, `arn:aws:lambda:${region}:999999999999:function:x_1_y`, context)).toBe(
          false,
        );
      }
      // not an app function name (<app>_<version>_<function>)
      expect(allows(policy, 'lambda:GetFunction', fn('billing'))).toBe(false);
      expect(allows(policy, 'lambda:InvokeFunction', fn('x_1_y'), managed)).toBe(false);
      // prune deletes managed functions only (tag-scoped like every other change)
      expect(allows(policy, 'lambda:DeleteFunction', fn('x_1_y'), managed)).toBe(true);
      expect(allows(policy, 'lambda:DeleteFunction', fn('x_1_y'))).toBe(false);
      expect(allows(policy, 'lambda:InvokeFunction', fn('x_1_y'))).toBe(false);
    });

    describe('deletes (prune, --replace, unlock, retention)', () => {
      /** every delete action the policy grants, by statement */
      const deleting = policy.Statement.filter((s) => list(s.Action).some((a) => /:Delete/.test(a)));
      const bySid = (sid: string) => policy.Statement.find((s) => s.Sid === sid);

      it('holds exactly three statements with a delete action, each asserted whole', () => {
        expect(deleting.map((s) => s.Sid).sort()).toEqual(
          [
            'ChangeOnlyManagedFunctions',
            'DeleteOnlyManagedFunctions',
            'DeleteOnlyTheDeployersOwnKeys',
          ].sort(),
        );
        const managedByTag = { StringEquals: { [`aws:ResourceTag/${TAG}`]: FUNCTION_TAGS.managedByValue } };
        const functions = [fn('*_*_*')];
        expect(bySid('DeleteOnlyManagedFunctions')).toEqual({
          Sid: 'DeleteOnlyManagedFunctions',
          Effect: 'Allow',
          Action: ['lambda:DeleteFunction'],
          Resource: functions,
          Condition: managedByTag,
        });
        // s3:DeleteObject supports no condition on the object (s3:ExistingObjectTag does not apply to
        // DeleteObject): its scope is the resource, the deployer's own key shapes in the apps bucket
        expect(bySid('DeleteOnlyTheDeployersOwnKeys')).toEqual({
          Sid: 'DeleteOnlyTheDeployersOwnKeys',
          Effect: 'Allow',
          Action: ['s3:DeleteObject'],
          Resource: [s3(apps, 'manifests/*_*.json'), s3(apps, 'static/*_*_app/*'), s3(apps, 'deployer/*')],
        });
        expect(bySid('ChangeOnlyManagedFunctions')).toEqual({
          Sid: 'ChangeOnlyManagedFunctions',
          Effect: 'Allow',
          Action: [
            'lambda:UpdateFunctionCode',
            'lambda:UpdateFunctionConfiguration',
            'lambda:PutFunctionConcurrency',
            'lambda:DeleteFunctionConcurrency',
          ],
          Resource: functions,
          Condition: managedByTag,
        });
      });

      it('grants no delete beyond objects and functions: no versions, buckets, roles, policies, log groups', () => {
        const deletes = [...actionsOf(policy)].filter((a) => /:Delete/.test(a)).sort();
        expect(deletes).toEqual([
          'lambda:DeleteFunction',
          'lambda:DeleteFunctionConcurrency',
          's3:DeleteObject',
        ]);
      });

      it('deletes a managed function only, in its own account and region', () => {
        const foreign: Context = {};
        expect(allows(policy, 'lambda:DeleteFunction', fn('com-example-app_1-0-0_send'), managed)).toBe(true);
        // a qualified ARN (a version) is the same function
        expect(allows(policy, 'lambda:DeleteFunction', `${fn('a_1_f')}:3`, managed)).toBe(true);
        expect(allows(policy, 'lambda:DeleteFunction', fn('a_1_f'), foreign)).toBe(false);
        expect(
          allows(policy, 'lambda:DeleteFunction', fn('a_1_f'), {
            [`aws:ResourceTag/${TAG}`]: 'someone-else',
          }),
        ).toBe(false);
        expect(allows(policy, 'lambda:DeleteFunction', fn('billing'), managed)).toBe(false);
        expect(
          allows(
            policy,
            'lambda:DeleteFunction',
            `arn:aws:lambda:${region}:999999999999:function:a_1_f`,
            managed,
          ),
        ).toBe(false);
        expect(
          allows(
            policy,
            'lambda:DeleteFunction',
            `arn:aws:lambda:us-west-2:${account}:function:a_1_f`,
            managed,
          ),
        ).toBe(false);
      });

      it("deletes only the deployer's own keys of the apps bucket, never a release bundle", () => {
        const own = [
          STATE_KEYS.lock,
          `${STATE_KEYS.runsPrefix}20250101T100500Z-1a2b3c.json`,
          `${STATE_KEYS.codePrefix}${'ab'.repeat(32)}.zip`,
          `${STATE_KEYS.seenPrefix}com.example.app_1.0.0/abc/provisioned-v1`,
          `${STATE_KEYS.manifestsPrefix}com.example.app_1.0.0.json`,
          'static/com.example.app_1.0.0_app/icon.png',
          'static/com.example.app_1.0.0_app/img/deep/photo.png',
        ];
        for (const key of own)
          expect({ key, allowed: allows(policy, 's3:DeleteObject', s3(apps, key)) }).toEqual({
            key,
            allowed: true,
          });
        const notOwn = [
          'static/icon.png', // not an app's folder
          'static/readme_app', // a key, not inside a folder
          'manifests/index.html',
          'manifests/a_1.txt',
          'other/deployer/lock',
          `${SAMPLE.RELEASE_PREFIX}com.example.app_1.0.0.zip`,
          'deployer', // the prefix itself is no key of ours
        ];
        for (const key of notOwn)
          expect({ key, allowed: allows(policy, 's3:DeleteObject', s3(apps, key)) }).toEqual({
            key,
            allowed: false,
          });
        expect(allows(policy, 's3:DeleteObject', s3('another-bucket', STATE_KEYS.lock))).toBe(false);
        for (const action of ['s3:DeleteObjectVersion', 's3:DeleteBucket', 's3:DeleteBucketPolicy'])
          expect(allows(policy, action, s3(apps, STATE_KEYS.lock)) || allows(policy, action, s3(apps))).toBe(
            false,
          );
      });

      it('deletes no release bundle, in a release bucket of its own or in the apps bucket under the release prefix', () => {
        const bundles = ['com.example.app_1.0.0.zip', 'com.example.app/com.example.app_1.0.0.zip'].map(
          (k) => `${SAMPLE.RELEASE_PREFIX}${k}`,
        );
        const shared = loadPolicy('deployer-policy.json', { ...SAMPLE, RELEASE_BUCKET: apps });
        for (const key of bundles) {
          expect(allows(policy, 's3:DeleteObject', s3(releases, key))).toBe(false);
          expect(allows(shared, 's3:DeleteObject', s3(apps, key))).toBe(false);
        }
        // no delete statement names the release bucket at all, nor a wildcard outside the three shapes
        for (const s of deleting.filter((st) => list(st.Action).some((a) => a.startsWith('s3:'))))
          for (const r of list(s.Resource)) {
            expect(r).not.toContain(releases);
            expect(r).toMatch(
              /^arn:aws:s3:::mm-apps\/(manifests\/\*_\*\.json|static\/\*_\*_app\/\*|deployer\/\*)$/,
            );
          }
      });
    });

    it('creates functions only with the managed-by tag in the request, and only our tag keys', () => {
      const create = (context: Context) => allows(policy, 'lambda:CreateFunction', fn('a_1_f'), context);
      expect(create({ [`aws:RequestTag/${TAG}`]: 'apps-deployer', 'aws:TagKeys': ALL_TAG_KEYS })).toBe(true);
      expect(create({ 'aws:TagKeys': ALL_TAG_KEYS.slice(1) })).toBe(false);
      expect(create({ [`aws:RequestTag/${TAG}`]: 'someone-else', 'aws:TagKeys': ALL_TAG_KEYS })).toBe(false);
      expect(
        create({ [`aws:RequestTag/${TAG}`]: 'apps-deployer', 'aws:TagKeys': [...ALL_TAG_KEYS, 'x'] }),
      ).toBe(false);
    });

    it('cannot change, tag or untag a function it does not manage, nor tag one into management', () => {
      const foreign: Context = { ...managed };
      delete foreign[`aws:ResourceTag/${TAG}`];
      for (const action of writesOf(DEPLOYER_IAM_ACTIONS.lambda).filter(
        (a) => a !== 'lambda:CreateFunction',
      )) {
        expect({ action, allowed: allows(policy, action, fn('x_1_y'), foreign) }).toEqual({
          action,
          allowed: false,
        });
      }
      // a tag write must carry managed-by (the full set), and may not drop it
      const partial: Context = {
        [`aws:ResourceTag/${TAG}`]: 'apps-deployer',
        'aws:TagKeys': [FUNCTION_TAGS.version],
      };
      expect(allows(policy, 'lambda:TagResource', fn('x_1_y'), partial)).toBe(false);
      expect(
        allows(policy, 'lambda:UntagResource', fn('x_1_y'), {
          [`aws:ResourceTag/${TAG}`]: 'apps-deployer',
          'aws:TagKeys': [TAG],
        }),
      ).toBe(false);
    });

    it('conditions every statement that can write: by tag, by the service passed to, by policy ARN, or by a resource of its own', () => {
      const isRead = (a: string) => /^[a-z0-9]+:(Get|List|Describe)/.test(a);
      const keys = (s: Statement) => Object.values(s.Condition ?? {}).flatMap((e) => Object.keys(e));
      const ownS3 = [
        ...[STATE_KEYS.manifestsPrefix, 'static/', 'deployer/'].map((p) => s3(apps, `${p}*`)),
        // the delete statement's narrower shapes: manifests/<app>_<version>.json, static/<app>_<version>_app/…
        s3(apps, 'manifests/*_*.json'),
        s3(apps, 'static/*_*_app/*'),
      ];
      const writing = policy.Statement.filter((s) => list(s.Action).some((a) => !isRead(a)));
      expect(writing.length).toBeGreaterThan(5);
      for (const s of writing) {
        const byTag = keys(s).some((k) => k === `aws:ResourceTag/${TAG}` || k === `aws:RequestTag/${TAG}`);
        const byService = keys(s).includes('iam:PassedToService');
        const byPolicyArn = keys(s).includes('iam:PolicyARN');
        const ownObjects = list(s.Resource).every((r) => ownS3.includes(r));
        // the log groups of app functions only (/aws/lambda/<app>_<version>_<function>)
        const ownLogGroups = list(s.Resource).every((r) =>
          /^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:\/aws\/lambda\/\*_\*_\*$/.test(r),
        );
        // one named IAM object of the configuration (role/…, policy/…, group/…), no wildcard
        const namedIam = list(s.Resource).every((r) =>
          /^arn:aws:iam::\d{12}:(role|policy|group)\/[^*?]+$/.test(r),
        );
        expect({
          sid: s.Sid,
          conditioned: byTag || byService || byPolicyArn || ownObjects || ownLogGroups || namedIam,
        }).toEqual({
          sid: s.Sid,
          conditioned: true,
        });
        const lambdaWrites = list(s.Action).filter((a) => a.startsWith('lambda:') && !isRead(a));
        if (lambdaWrites.length === 0) continue;
        // Lambda: create by RequestTag; every other write by the tag the function already carries
        const wanted = lambdaWrites.includes('lambda:CreateFunction') ? 'RequestTag' : 'ResourceTag';
        expect({ sid: s.Sid, keys: keys(s) }).toEqual({
          sid: s.Sid,
          keys: expect.arrayContaining([`aws:${wanted}/${TAG}`]) as unknown,
        });
        if (lambdaWrites.includes('lambda:CreateFunction'))
          expect(lambdaWrites).toEqual(['lambda:CreateFunction']);
      }
    });

    it('passes only the execute role, and only to Lambda', () => {
      const execute = role(SAMPLE.EXECUTE_ROLE);
      expect(allows(policy, 'iam:PassRole', execute, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe(
        true,
      );
      expect(allows(policy, 'iam:PassRole', execute, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe(
        false,
      );
      expect(allows(policy, 'iam:PassRole', execute)).toBe(false);
      expect(
        allows(policy, 'iam:PassRole', role('Admin'), { 'iam:PassedToService': 'lambda.amazonaws.com' }),
      ).toBe(false);
    });

    it('can attach only AWSLambdaBasicExecutionRole to the execute role, and only the invoke policy to the group', () => {
      const basic = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
      const admin = 'arn:aws:iam::aws:policy/AdministratorAccess';
      const execute = role(SAMPLE.EXECUTE_ROLE);
      expect(allows(policy, 'iam:AttachRolePolicy', execute, { 'iam:PolicyARN': basic })).toBe(true);
      expect(allows(policy, 'iam:AttachRolePolicy', execute, { 'iam:PolicyARN': admin })).toBe(false);
      expect(allows(policy, 'iam:AttachRolePolicy', role('other'), { 'iam:PolicyARN': basic })).toBe(false);
      const invoke = iamPolicy(SAMPLE.INVOKE_POLICY);
      const invokers = group(SAMPLE.INVOKE_GROUP);
      expect(allows(policy, 'iam:AttachGroupPolicy', invokers, { 'iam:PolicyARN': invoke })).toBe(true);
      expect(allows(policy, 'iam:AttachGroupPolicy', invokers, { 'iam:PolicyARN': admin })).toBe(false);
      const server = role(SAMPLE.INVOKE_ROLE);
      expect(allows(policy, 'iam:AttachRolePolicy', server, { 'iam:PolicyARN': invoke })).toBe(true);
      expect(allows(policy, 'iam:AttachRolePolicy', server, { 'iam:PolicyARN': admin })).toBe(false);
      expect(allows(policy, 'iam:ListAttachedRolePolicies', server)).toBe(true);
      // the invoke policy is attached to the server's principal: never rewritable by the deployer
      expect(allows(policy, 'iam:CreatePolicy', invoke)).toBe(true);
      for (const action of [
        'iam:CreatePolicyVersion',
        'iam:DeletePolicyVersion',
        'iam:SetDefaultPolicyVersion',
      ])
        for (const resource of [invoke, iamPolicy('other'), '*'])
          expect(allows(policy, action, resource)).toBe(false);
      expect(allows(policy, 'iam:CreateRole', role('other'))).toBe(false);
      expect(allows(policy, 'iam:CreateGroup', group('Admins'))).toBe(false);
    });

    it('keeps the release bucket rules right when releases share the apps bucket', () => {
      const shared = loadPolicy('deployer-policy.json', { ...SAMPLE, RELEASE_BUCKET: apps });
      expect(allows(shared, 's3:GetObject', s3(apps, 'bundles/a_1.zip'))).toBe(true);
      expect(allows(shared, 's3:PutObject', s3(apps, 'bundles/a_1.zip'))).toBe(false);
    });
  });

  it('invoke-policy.json allows invoking only functions carrying the deployer tag', () => {
    const policy = loadPolicy('invoke-policy.json');
    expect([...actionsOf(policy)]).toEqual(['lambda:InvokeFunction', 's3:GetObject', 's3:ListBucket']);
    const fn = `arn:aws:lambda:${SAMPLE.AWS_REGION}:${SAMPLE.AWS_ACCOUNT_ID}:function:com-example-app_1-0-0_send`;
    const tag = `aws:ResourceTag/${FUNCTION_TAGS.managedBy}`;
    expect(allows(policy, 'lambda:InvokeFunction', fn, { [tag]: FUNCTION_TAGS.managedByValue })).toBe(true);
    expect(allows(policy, 'lambda:InvokeFunction', fn, { [tag]: 'someone-else' })).toBe(false);
    expect(allows(policy, 'lambda:InvokeFunction', fn)).toBe(false);
    const otherAccount = fn.replace(SAMPLE.AWS_ACCOUNT_ID, '999999999999');
    expect(
      allows(policy, 'lambda:InvokeFunction', otherAccount, { [tag]: FUNCTION_TAGS.managedByValue }),
    ).toBe(false);
    // it never lists functions: it does not grow per function
    expect(JSON.stringify(policy)).not.toMatch(/function:[a-z0-9]/i);
  });

  it('invoke-policy.json lets the server read manifests and static assets of the apps bucket only', () => {
    const policy = loadPolicy('invoke-policy.json');
    const apps = SAMPLE.APPS_BUCKET;
    const s3 = (bucket: string, key?: string) =>
      `arn:aws:s3:::${bucket}${key === undefined ? '' : `/${key}`}`;
    expect(allows(policy, 's3:GetObject', s3(apps, 'manifests/com.example.a_1.0.0.json'))).toBe(true);
    expect(allows(policy, 's3:GetObject', s3(apps, 'static/com.example.a_1.0.0_app/icon.png'))).toBe(true);
    for (const key of [STATE_KEYS.lock, 'deployer/anything', 'other/x', `${SAMPLE.RELEASE_PREFIX}a_1.zip`])
      expect({ key, allowed: allows(policy, 's3:GetObject', s3(apps, key)) }).toEqual({
        key,
        allowed: false,
      });
    expect(allows(policy, 's3:GetObject', s3(SAMPLE.RELEASE_BUCKET, `${SAMPLE.RELEASE_PREFIX}a_1.zip`))).toBe(
      false,
    );
    // the server lists only under manifests/<app> (upstream upaws ListS3)
    expect(allows(policy, 's3:ListBucket', s3(apps), { 's3:prefix': 'manifests/com.example.a' })).toBe(true);
    expect(allows(policy, 's3:ListBucket', s3(apps), { 's3:prefix': 'deployer/' })).toBe(false);
    expect(allows(policy, 's3:ListBucket', s3(apps))).toBe(false);
    expect(allows(policy, 's3:ListBucket', s3(SAMPLE.RELEASE_BUCKET), { 's3:prefix': 'manifests/' })).toBe(
      false,
    );
    for (const action of ['s3:PutObject', 's3:DeleteObject'])
      expect(allows(policy, action, s3(apps, 'manifests/com.example.a_1.0.0.json'))).toBe(false);
  });

  it('invoke-policy.json is the document the deployer writes (src/provision/iam.ts), so it never rewrites it', () => {
    expect(loadPolicy('invoke-policy.json')).toEqual(
      JSON.parse(wantedInvokePolicyDocument('aws', SAMPLE.AWS_ACCOUNT_ID, SAMPLE.APPS_BUCKET)),
    );
  });

  it('execute-role-trust-policy.json lets only Lambda assume the role, as the deployer creates it', () => {
    const policy = loadPolicy('execute-role-trust-policy.json');
    expect(policy).toEqual(JSON.parse(executeRoleTrustPolicy()));
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
    ]);
  });

  it('the release role is assumable only by the deployer with the external id, and only reads releases', () => {
    const trust = loadPolicy('release-role-trust-policy.json');
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: `arn:aws:iam::${SAMPLE.AWS_ACCOUNT_ID}:role/${SAMPLE.DEPLOYER_ROLE}` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': SAMPLE.RELEASE_EXTERNAL_ID } },
      }),
    ]);
    const reader = loadPolicy('release-role-policy.json');
    expect([...actionsOf(reader)].sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    const bundle = `arn:aws:s3:::${SAMPLE.RELEASE_BUCKET}/${SAMPLE.RELEASE_PREFIX}a_1.zip`;
    expect(allows(reader, 's3:GetObject', bundle)).toBe(true);
    expect(allows(reader, 's3:GetObject', `arn:aws:s3:::${SAMPLE.RELEASE_BUCKET}/other/a_1.zip`)).toBe(false);
    const deployer = loadPolicy('deployer-policy.json');
    const role = `arn:aws:iam::${SAMPLE.RELEASE_ACCOUNT_ID}:role/${SAMPLE.RELEASE_ROLE}`;
    expect(allows(deployer, 'sts:AssumeRole', role)).toBe(true);
    expect(allows(deployer, 'sts:AssumeRole', `arn:aws:iam::${SAMPLE.RELEASE_ACCOUNT_ID}:role/Admin`)).toBe(
      false,
    );
  });

  it("irsa-trust-policy.json trusts one ServiceAccount through the cluster's OIDC provider", () => {
    const policy = loadPolicy('irsa-trust-policy.json');
    const [s] = policy.Statement;
    expect(s?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(s?.Principal).toEqual({
      Federated: `arn:aws:iam::${SAMPLE.AWS_ACCOUNT_ID}:oidc-provider/${SAMPLE.EKS_OIDC_PROVIDER}`,
    });
    expect(s?.Condition?.StringEquals).toEqual({
      [`${SAMPLE.EKS_OIDC_PROVIDER}:sub`]: `system:serviceaccount:${SAMPLE.K8S_NAMESPACE}:${SAMPLE.K8S_SERVICE_ACCOUNT}`,
      [`${SAMPLE.EKS_OIDC_PROVIDER}:aud`]: 'sts.amazonaws.com',
    });
  });

  it('uploader-policy.json can create bundles under the release prefix, create-only, and nothing else', () => {
    const policy = loadPolicy('uploader-policy.json');
    const key = (k: string) => `arn:aws:s3:::${SAMPLE.RELEASE_BUCKET}/${k}`;
    const create = { 's3:if-none-match': '*' };
    expect(allows(policy, 's3:PutObject', key('bundles/a_1.zip'), create)).toBe(true);
    expect(allows(policy, 's3:PutObject', key('bundles/a_1.zip'))).toBe(false);
    expect(allows(policy, 's3:GetObject', key('bundles/a_1.zip'))).toBe(true);
    expect(allows(policy, 's3:PutObject', key('manifests/a_1.json'), create)).toBe(false);
    expect(allows(policy, 's3:DeleteObject', key('bundles/a_1.zip'))).toBe(false);
    const bucket = `arn:aws:s3:::${SAMPLE.RELEASE_BUCKET}`;
    expect(allows(policy, 's3:ListBucket', bucket, { 's3:prefix': 'bundles/a_1.zip' })).toBe(true);
    expect(allows(policy, 's3:ListBucket', bucket, { 's3:prefix': 'deployer/' })).toBe(false);
    expect([...actionsOf(policy)].some((a) => !a.startsWith('s3:'))).toBe(false);
  });

  describe('uploader-per-app-policy.json', () => {
    const key = (k: string) => `arn:aws:s3:::${SAMPLE.RELEASE_BUCKET}/${k}`;
    const create = { 's3:if-none-match': '*' };

    it('lets app A create objects in its own folder only, create-only: no overwrite, no delete', () => {
      const policy = loadPolicy('uploader-per-app-policy.json');
      expect(allows(policy, 's3:PutObject', key('bundles/com.example.a/com.example.a_1.zip'), create)).toBe(
        true,
      );
      // no If-None-Match: *, or If-Match (an overwrite): refused
      expect(allows(policy, 's3:PutObject', key('bundles/com.example.a/com.example.a_1.zip'))).toBe(false);
      expect(
        allows(policy, 's3:PutObject', key('bundles/com.example.a/com.example.a_1.zip'), {
          's3:if-match': '"e"',
        }),
      ).toBe(false);
      for (const other of [
        'bundles/com.example.b/com.example.b_1.zip',
        'bundles/com.example.a_1.zip',
        'bundles/com.example.ab/x.zip',
      ]) {
        expect({ other, allowed: allows(policy, 's3:PutObject', key(other), create) }).toEqual({
          other,
          allowed: false,
        });
      }
      expect(allows(policy, 's3:DeleteObject', key('bundles/com.example.a/com.example.a_1.zip'))).toBe(false);
      expect([...actionsOf(policy)].sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    });

    it('is the document uploaderPolicyDocument (src/upload/policy.ts) generates', () => {
      expect(loadPolicy('uploader-per-app-policy.json')).toEqual(
        JSON.parse(
          uploaderPolicyDocument({
            releaseBucket: SAMPLE.RELEASE_BUCKET,
            releasePrefix: SAMPLE.RELEASE_PREFIX,
            appId: SAMPLE.APP_ID,
          }),
        ),
      );
    });
  });

  it('release-bucket-policy.json denies every PutObject without If-None-Match under the release prefix only', () => {
    const policy = loadPolicy('release-bucket-policy.json', {
      ...SAMPLE,
      RELEASE_BUCKET: SAMPLE.APPS_BUCKET,
    });
    const key = (k: string) => `arn:aws:s3:::${SAMPLE.APPS_BUCKET}/${k}`;
    const plain = { 's3:ObjectCreationOperation': 'true' };
    const conditional = { ...plain, 's3:if-none-match': '*' };
    expect(denies(policy, 's3:PutObject', key('bundles/a_1.zip'), plain)).toBe(true);
    expect(denies(policy, 's3:PutObject', key('bundles/a/a_1.zip'), { ...plain, 's3:if-match': '"e"' })).toBe(
      true,
    );
    expect(denies(policy, 's3:PutObject', key('bundles/a_1.zip'), conditional)).toBe(false);
    // multipart parts carry no conditional header (S3 marks them ObjectCreationOperation=false)
    expect(
      denies(policy, 's3:PutObject', key('bundles/a_1.zip'), { 's3:ObjectCreationOperation': 'false' }),
    ).toBe(false);
    // the deployer's own writes to the same bucket (and CopyObject there) are untouched
    for (const own of ['deployer/lock', 'manifests/a_1.json', 'static/a_1_app/x.png', 'deployer/code/1.zip'])
      expect({ own, denied: denies(policy, 's3:PutObject', key(own), plain) }).toEqual({
        own,
        denied: false,
      });
    expect(policy.Statement.every((s) => s.Principal === '*')).toBe(true);
  });
});

const sourceFiles = (dir = path.join(ROOT, 'src')): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );

/**
 * Creating a resource with tags needs the tagging permission too: IAM checks iam:TagRole /
 * iam:TagPolicy on CreateRole / CreatePolicy with Tags, Lambda checks lambda:TagResource on
 * CreateFunction with Tags. Found by reading each port call's argument for a `Tags` key.
 */
function tagOnCreateActionsFromSource(): Set<string> {
  const TAGGING: Record<string, string> = {
    createRole: 'iam:TagRole',
    createPolicy: 'iam:TagPolicy',
    createFunction: 'lambda:TagResource',
  };
  const found = new Set<string>();
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\.(createRole|createPolicy|createFunction)\(/g)) {
      // the call's argument: up to the matching closing parenthesis
      const start = (m.index as number) + m[0].length;
      let depth = 1;
      let i = start;
      for (; i < text.length && depth > 0; i++) {
        if (text[i] === '(') depth++;
        else if (text[i] === ')') depth--;
      }
      if (/\bTags\b/.test(text.slice(start, i))) found.add(TAGGING[m[1] as string] as string);
    }
  }
  return found;
}

/**
 * The IAM actions the code needs, from the AWS SDK commands imported (not `import type`) anywhere
 * under src/, plus lib-storage's multipart upload and the Lambda waiters.
 */
function requiredActionsFromSource(): Set<string> {
  const S3_ACTIONS: Record<string, string[]> = {
    ListObjectsV2: ['s3:ListBucket'],
    ListObjects: ['s3:ListBucket'],
    HeadBucket: ['s3:ListBucket'],
    GetObject: ['s3:GetObject'],
    HeadObject: ['s3:GetObject'],
    PutObject: ['s3:PutObject'],
    CopyObject: ['s3:GetObject', 's3:PutObject'],
    DeleteObject: ['s3:DeleteObject'],
    DeleteObjects: ['s3:DeleteObject'],
    CreateMultipartUpload: ['s3:PutObject'],
    UploadPart: ['s3:PutObject'],
    CompleteMultipartUpload: ['s3:PutObject'],
    AbortMultipartUpload: ['s3:AbortMultipartUpload'],
  };
  const required = new Set<string>();
  const importRe = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[a-z0-9-]+)'/g;
  for (const file of sourceFiles()) {
    for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
      if (m[1]) continue; // import type: no request is sent
      const pkg = m[3] as string;
      const names = (m[2] as string)
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n && !n.startsWith('type '))
        .map((n) => n.split(/\s+as\s+/)[0] as string);
      for (const name of names) {
        if (pkg === '@aws-sdk/lib-storage' && name === 'Upload') {
          required.add('s3:PutObject').add('s3:AbortMultipartUpload');
          continue;
        }
        if (pkg === '@aws-sdk/client-lambda' && /^waitUntilFunction/.test(name)) {
          required.add('lambda:GetFunction');
          continue;
        }
        if (pkg === '@aws-sdk/credential-providers' && name === 'fromTemporaryCredentials') {
          required.add('sts:AssumeRole'); // the release bucket's assumed role
          continue;
        }
        const op = /^(\w+)Command$/.exec(name)?.[1];
        if (!op) continue;
        const rel = path.relative(ROOT, file);
        if (pkg === '@aws-sdk/client-s3') {
          const actions = S3_ACTIONS[op];
          if (!actions) throw new Error(`${rel} sends S3 ${op}: add its IAM action to this test's table`);
          for (const a of actions) required.add(a);
        } else if (pkg === '@aws-sdk/client-lambda') {
          required.add(`lambda:${op}`);
          // GetFunction returns the tags the deployer judges ownership by only with lambda:ListTags;
          // creating or reconfiguring a function passes the execute role.
          if (op === 'GetFunction') required.add('lambda:ListTags');
          if (op === 'CreateFunction' || op === 'UpdateFunctionConfiguration') required.add('iam:PassRole');
        } else if (pkg === '@aws-sdk/client-iam') {
          required.add(`iam:${op}`);
        } else if (pkg === '@aws-sdk/client-cloudwatch-logs') {
          required.add(`logs:${op}`);
        } else if (pkg !== '@aws-sdk/client-sts' || op !== 'GetCallerIdentity') {
          throw new Error(`${rel} sends ${pkg} ${op}: add its IAM action to this test and the policy`);
        }
      }
    }
  }
  return required;
}

// ---------------------------------------------------------------------------------------------------
// GitLab CI template

interface GitlabJob {
  extends?: string;
  stage?: string;
  image?: { name: string; entrypoint: string[] };
  rules?: { if: string }[];
  script?: string[];
  before_script?: string[];
}

describe('deploy/gitlab/apps-bundle.gitlab-ci.yml', () => {
  const file = 'deploy/gitlab/apps-bundle.gitlab-ci.yml';
  const ci = readYaml<Record<string, GitlabJob> & { variables: Record<string, string> }>(file, read(file));
  const base = ci['.apps-bundle'] as GitlabJob;
  const validate = ci['apps-bundle:validate'] as GitlabJob;
  const upload = ci['apps-bundle:upload'] as GitlabJob;
  const cliCommands = (job: GitlabJob) =>
    (job.script ?? []).flatMap((line) => [...line.matchAll(/\bapps-deployer\s+([a-z-]+)/g)].map((m) => m[1]));

  it('runs the jobs in the apps-deployer image with a shell entrypoint', () => {
    expect(base.image).toEqual({ name: '$APPS_DEPLOYER_IMAGE', entrypoint: [''] });
    expect(validate.extends).toBe('.apps-bundle');
    expect(upload.extends).toBe('.apps-bundle');
  });

  it('validates on merge requests and tags', () => {
    expect(validate.rules?.map((r) => r.if)).toEqual([
      '$CI_PIPELINE_SOURCE == "merge_request_event"',
      '$CI_COMMIT_TAG',
    ]);
    expect(cliCommands(validate)).toEqual(['validate', 'validate']);
  });

  it('uploads on protected tags only, after validating', () => {
    expect(upload.rules).toHaveLength(1);
    for (const rule of upload.rules ?? []) {
      expect(rule.if).toContain('$CI_COMMIT_TAG');
      expect(rule.if).toContain('$CI_COMMIT_REF_PROTECTED == "true"');
    }
    expect(cliCommands(upload)).toEqual(['validate', 'upload']);
  });

  it('calls only commands the CLI has, with configuration variables the deployer reads', () => {
    // the CLI's subcommands, as src/cli/main.ts declares them
    const commands = new Set(
      [...read('src/cli/main.ts').matchAll(/\.command\('([a-z-]+)'\)/g)].map((m) => m[1]),
    );
    expect(commands.size).toBeGreaterThanOrEqual(8);
    for (const c of [...cliCommands(validate), ...cliCommands(upload)]) expect(commands).toContain(c);
    const envNames = new Set<string>(Object.values(ENV).flat());
    const deployerVars = Object.keys(ci.variables).filter((v) =>
      /^(MM_APPS_|AWS_|APPS_DEPLOYER_LOG|APPS_DEPLOYER_RELEASE)/.test(v),
    );
    for (const v of deployerVars) expect(envNames).toContain(v);
    // the upload follows the deployer's layout (upload reads it like the deployer)
    expect(deployerVars).toContain(ENV.releaseLayout);
  });
});

// ---------------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; dockerfile_inline?: string };
  profiles?: string[];
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
}

describe('docker-compose.yml', () => {
  const compose = readYaml<{ services: Record<string, ComposeService> }>(
    'docker-compose.yml',
    read('docker-compose.yml'),
  );
  const svc = (name: string): ComposeService => {
    const s = compose.services[name];
    if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
    return s;
  };
  const envNames = new Set<string>([
    ...Object.values(ENV).flat(),
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ]);

  it('builds moto server with the version the tests pin (scripts/setup-emulator.sh)', () => {
    const pinned = /MOTO_VERSION="\$\{MOTO_VERSION:-([0-9.]+)\}"/.exec(
      read('scripts/setup-emulator.sh'),
    )?.[1];
    expect(pinned).toBeDefined();
    const moto = svc('moto');
    expect(moto.build?.dockerfile_inline).toContain(`"moto[server]==${pinned}"`);
    expect(moto.image).toBe(`apps-deployer-moto:${pinned}`);
    expect(moto.environment?.MOTO_IAM_LOAD_MANAGED_POLICIES).toBe('true');
    expect(moto.healthcheck?.test.join(' ')).toContain('/moto-api/');
    for (const p of moto.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
  });

  it('offers LocalStack 4.14.0 (runs without an auth token) behind the "localstack" profile', () => {
    const ls = svc('localstack');
    // the official image unless LOCALSTACK_IMAGE names the locally built one (no registry)
    expect(ls.image).toBe('${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}');
    expect(ls.profiles).toEqual(['localstack']);
    // without the Docker socket LocalStack marks new functions Failed ("Docker not available")
    expect(ls.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(svc('deployer-localstack').profiles).toEqual(['localstack']);
    expect(svc('setup-localstack').profiles).toEqual(['localstack']);
    expect(svc('deployer').profiles).toBeUndefined();
  });

  it.each([
    ['deployer', 'setup', 'http://moto:5000'],
    ['deployer-localstack', 'setup-localstack', 'http://localstack:4566'],
  ])('%s runs `reconcile` against the emulator, hardened like the CronJob', (name, setup, endpoint) => {
    const d = svc(name);
    expect(d.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(d.command).toEqual(['reconcile']);
    expect(d.environment?.[ENV.endpoint]).toBe(endpoint);
    expect(svc(setup).environment?.[ENV.endpoint]).toBe(endpoint);
    expect(d.depends_on).toEqual({ [setup]: { condition: 'service_completed_successfully' } });
    expect(d.user).toBe('10001:10001');
    expect(d.read_only).toBe(true);
    expect(d.tmpfs?.some((t) => t.startsWith('/tmp:'))).toBe(true);
    expect(d.cap_drop).toEqual(['ALL']);
    for (const key of Object.keys(d.environment ?? {})) expect(envNames).toContain(key);
    // the setup service creates the buckets the deployer reads
    const s = svc(setup);
    for (const key of [ENV.appsBucket, ENV.releaseBucket, ENV.invokeGroupName]) {
      expect(s.environment?.[key]).toBe(d.environment?.[key]);
    }
    const emulator = new URL(endpoint).hostname;
    expect(Object.keys(s.depends_on ?? {})).toEqual([emulator]);
    expect(s.depends_on?.[emulator]?.condition).toBe('service_healthy');
  });
});
