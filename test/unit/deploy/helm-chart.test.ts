/**
 * The Helm chart helm/apps-deployer, rendered by the pinned helm (scripts/install-helm.sh) and read
 * back as objects: the CronJob's schedule and deadlines, its security, its environment (checked
 * against src/config.ts, whose loader must accept it), the IRSA ServiceAccount, the schema's refusals
 * and the NOTES an operator follows for a manual run and an unlock.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_BUNDLE_BYTES } from '../../../src/bundle/limits';
import { DEFAULT_RELEASE_LAYOUT, DEFAULTS, ENV, loadConfig } from '../../../src/config';
import { ExitCode } from '../../../src/errors';
import {
  CHART,
  FULL_VALUES,
  MINIMAL_VALUES,
  ROOT,
  assertHelmInstalled,
  helmLint,
  schemaFields,
  only,
  readYaml,
  renderError,
  renderNotes,
  renderOk,
  type K8sObject,
} from './helm';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  restartPolicy: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; emptyDir?: { sizeLimit?: string; medium?: string } }[];
  activeDeadlineSeconds?: number;
}
interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  concurrencyPolicy: string;
  startingDeadlineSeconds: number;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  suspend: boolean;
  jobTemplate: {
    spec: {
      activeDeadlineSeconds: number;
      backoffLimit: number;
      ttlSecondsAfterFinished: number;
      podFailurePolicy?: {
        rules: {
          action: string;
          onExitCodes?: { containerName: string; operator: string; values: number[] };
          onPodConditions?: { type: string }[];
        }[];
      };
      template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec };
    };
  };
}

const cronJobSpec = (objects: K8sObject[]) => only(objects, 'CronJob').spec as CronJobSpec;
const podSpec = (objects: K8sObject[]) => cronJobSpec(objects).jobTemplate.spec.template.spec;
const container = (spec: PodSpec): Container => {
  expect(spec.containers).toHaveLength(1);
  return spec.containers[0] as Container;
};

/** Kubernetes quantity → MiB (the suffixes a memory limit uses). */
function toMiB(quantity: string): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  const factor: Record<string, number> = {
    '': 1 / 2 ** 20,
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    Ti: 1024 ** 2,
    k: 1e3 / 2 ** 20,
    M: 1e6 / 2 ** 20,
    G: 1e9 / 2 ** 20,
    T: 1e12 / 2 ** 20,
  };
  return Number(m[1]) * (factor[m[2] ?? ''] as number);
}

/** Every environment variable name of src/config.ts ENV. */
const ENV_NAMES = new Set<string>(Object.values(ENV).flat());
/** Those the chart must not provide: provision's explicit keys (the CronJob uses IRSA). */
const PROVISION_ONLY = new Set<string>([
  ...ENV.provisionAccessKey,
  ...ENV.provisionSecretKey,
  ENV.provisionRegion,
]);
const WEBHOOK_VARS = [ENV.notifyWebhookUrl, ENV.alertWebhookUrl];

const ROLE_ARN = 'arn:aws:iam::123456789012:role/apps-deployer';

describe('helm chart apps-deployer', () => {
  beforeAll(() => {
    assertHelmInstalled();
  });

  describe('with the minimal values (defaults + the two required values)', () => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = renderOk(['-f', MINIMAL_VALUES]);
    });

    it('renders a ServiceAccount, a ConfigMap, the CronJob and the helm-test pod', () => {
      expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'CronJob', 'Pod', 'ServiceAccount']);
      expect(only(objects, 'CronJob').apiVersion).toBe('batch/v1');
      expect(only(objects, 'CronJob').metadata.name).toBe('apps-deployer');
    });

    it('runs `reconcile` hourly, one run at a time, with deadlines and history limits', () => {
      const spec = cronJobSpec(objects);
      expect(spec.schedule).toBe('0 * * * *');
      expect(spec.concurrencyPolicy).toBe('Forbid');
      expect(spec.suspend).toBe(false);
      expect(spec.startingDeadlineSeconds).toBe(300);
      expect(spec.successfulJobsHistoryLimit).toBe(3);
      expect(spec.failedJobsHistoryLimit).toBe(3);
      const job = spec.jobTemplate.spec;
      expect(job.activeDeadlineSeconds).toBe(2700);
      expect(job.backoffLimit).toBe(2);
      expect(job.ttlSecondsAfterFinished).toBe(86400);
      expect(podSpec(objects).restartPolicy).toBe('Never');
      expect(container(podSpec(objects)).args).toEqual(['reconcile']);
    });

    it("fails the job at once on the deployer's exit codes 1, 2, 3 and 143, retries 4, ignores evictions", () => {
      const rules = cronJobSpec(objects).jobTemplate.spec.podFailurePolicy?.rules ?? [];
      const failJob = rules.find((r) => r.action === 'FailJob');
      expect(failJob?.onExitCodes).toEqual({
        containerName: 'apps-deployer',
        operator: 'In',
        values: [ExitCode.Failed, ExitCode.Usage, ExitCode.Locked, ExitCode.Terminated],
      });
      // exit 4 (AWS unavailable before any bundle work) matches no rule: retried within backoffLimit
      const byExitCode = rules.filter((r) => r.onExitCodes?.values.includes(ExitCode.Unavailable));
      expect(byExitCode).toEqual([]);
      expect(cronJobSpec(objects).jobTemplate.spec.backoffLimit).toBeGreaterThan(0);
      expect(container(podSpec(objects)).name).toBe(failJob?.onExitCodes?.containerName);
      expect(rules.find((r) => r.action === 'Ignore')?.onPodConditions).toEqual([
        { type: 'DisruptionTarget' },
      ]);
    });

    it('keeps the lock TTL consistent with the deadlines: a killed run never blocks the next one', () => {
      const spec = cronJobSpec(objects);
      const lockTtl = Number(only(objects, 'ConfigMap').data?.[ENV.lockTtlSeconds]);
      expect(lockTtl).toBe(DEFAULTS.lockTtlSeconds);
      expect(
        spec.startingDeadlineSeconds + spec.jobTemplate.spec.activeDeadlineSeconds + lockTtl,
      ).toBeLessThanOrEqual(3600);
      expect(spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(lockTtl);
    });

    it('runs as uid 10001, non-root, read-only root filesystem, no privilege escalation, no capabilities', () => {
      const pod = podSpec(objects);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const sc = container(pod).securityContext;
      expect(sc).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(sc.capabilities).toEqual({ drop: ['ALL'] });
    });

    it("runs as the image's own user (Dockerfile USER)", () => {
      const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
      const users = [...dockerfile.matchAll(/^USER\s+(\d+)(?::(\d+))?\s*$/gm)];
      expect(users).toHaveLength(1);
      const [, uid, gid] = users[0] as RegExpMatchArray;
      expect(container(podSpec(objects)).securityContext.runAsUser).toBe(Number(uid));
      expect(container(podSpec(objects)).securityContext.runAsGroup).toBe(Number(gid));
    });

    it('mounts an emptyDir at /tmp (the only writable path) sized for bundles', () => {
      const pod = podSpec(objects);
      expect(container(pod).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]);
    });

    it("gives the deployer a temp-file budget equal to /tmp's sizeLimit, at least the bundle limit", () => {
      const data = only(objects, 'ConfigMap').data ?? {};
      const sizeLimit = podSpec(objects).volumes[0]?.emptyDir?.sizeLimit ?? '';
      expect(data[ENV.tmpBudget]).toBe(sizeLimit);
      const budget = loadConfig(data).tmpBudgetBytes;
      expect(budget).toBe(toMiB(sizeLimit) * 2 ** 20);
      expect(budget).toBeGreaterThanOrEqual(MAX_BUNDLE_BYTES);
    });

    it('requests resources and limits memory to at least 512Mi', () => {
      const { requests, limits } = container(podSpec(objects)).resources;
      expect(requests?.cpu).toBeDefined();
      expect(requests?.memory).toBeDefined();
      expect(toMiB(limits?.memory ?? '0')).toBeGreaterThanOrEqual(512);
      expect(toMiB(requests?.memory ?? '0')).toBeLessThanOrEqual(toMiB(limits?.memory ?? '0'));
    });

    it('uses a ServiceAccount annotated with the IRSA role, without a Kubernetes API token', () => {
      const sa = only(objects, 'ServiceAccount');
      expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(ROLE_ARN);
      expect(sa.automountServiceAccountToken).toBe(false);
      const pod = podSpec(objects);
      expect(pod.serviceAccountName).toBe(sa.metadata.name);
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    it('pins the image to the chart appVersion by default', () => {
      const chart = readYaml<{ appVersion: string }>(
        'Chart.yaml',
        readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'),
      );
      expect(chart.appVersion).toBe('0.1.0');
      expect(container(podSpec(objects)).image).toBe(
        `123456789012.dkr.ecr.us-east-1.amazonaws.com/apps-deployer:${chart.appVersion}`,
      );
    });

    it('takes the environment from the ConfigMap, whose names are all src/config.ts ENV names', () => {
      const cm = only(objects, 'ConfigMap');
      const c = container(podSpec(objects));
      expect(c.envFrom).toEqual([{ configMapRef: { name: cm.metadata.name } }]);
      expect(c.env).toBeUndefined(); // no webhook Secret configured
      for (const name of Object.keys(cm.data ?? {})) expect(ENV_NAMES).toContain(name);
    });

    it("renders the deployer's own defaults, and src/config.ts loads them without a problem", () => {
      const data = only(objects, 'ConfigMap').data ?? {};
      expect(data).toEqual({
        [ENV.appsBucket]: DEFAULTS.appsBucket,
        [ENV.releasePrefix]: DEFAULTS.releasePrefix,
        [ENV.releaseLayout]: DEFAULT_RELEASE_LAYOUT,
        [ENV.region]: DEFAULTS.region,
        [ENV.executeRoleName]: DEFAULTS.executeRoleName,
        [ENV.invokePolicyName]: DEFAULTS.invokePolicyName,
        [ENV.invokeGroupName]: DEFAULTS.invokeGroupName,
        [ENV.createIam]: 'true',
        [ENV.concurrency]: String(DEFAULTS.concurrency),
        [ENV.logLevel]: DEFAULTS.logLevel,
        [ENV.lambdaTimeoutSeconds]: String(DEFAULTS.lambdaTimeoutSeconds),
        [ENV.lambdaMemoryMb]: String(DEFAULTS.lambdaMemoryMb),
        [ENV.lambdaRequestsPerSecond]: String(DEFAULTS.lambdaRequestsPerSecond),
        [ENV.lockTtlSeconds]: String(DEFAULTS.lockTtlSeconds),
        [ENV.tmpBudget]: '1Gi',
        [ENV.awsMaxAttempts]: String(DEFAULTS.maxAttempts),
        [ENV.runRetentionDays]: String(DEFAULTS.runRetentionDays),
      });
      const config = loadConfig(data);
      expect(config.appsBucket).toBe(DEFAULTS.appsBucket);
      expect(config.releaseBucket).toBe(DEFAULTS.appsBucket);
      expect(config.concurrency).toBe(DEFAULTS.concurrency);
      expect(config.lockTtlSeconds).toBe(DEFAULTS.lockTtlSeconds);
    });

    it('configures a config checksum on the pod template, so a config change is visible in the job', () => {
      const annotations = cronJobSpec(objects).jobTemplate.spec.template.metadata.annotations ?? {};
      expect(annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
    });

    it('has a `helm test` pod that runs `plan` with the same identity, config and hardening', () => {
      const pod = only(objects, 'Pod');
      expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
      const spec = pod.spec as PodSpec;
      expect(container(spec).args).toEqual(['plan']);
      expect(spec.activeDeadlineSeconds).toBeGreaterThan(0);
      const job = podSpec(objects);
      expect(spec.serviceAccountName).toBe(job.serviceAccountName);
      expect(spec.securityContext).toEqual(job.securityContext);
      expect(container(spec).securityContext).toEqual(container(job).securityContext);
      expect(container(spec).envFrom).toEqual(container(job).envFrom);
    });
  });

  describe('with every option changed (ci/full-values.yaml)', () => {
    let objects: K8sObject[];
    let values: {
      config: Record<string, unknown>;
      webhooks: { existingSecret: string; notifyUrlKey: string; alertUrlKey: string };
    };
    beforeAll(() => {
      objects = renderOk(['-f', FULL_VALUES]);
      values = readYaml(FULL_VALUES, readFileSync(FULL_VALUES, 'utf8'));
    });

    it('provides every configuration variable of src/config.ts except the provision-only ones', () => {
      const c = container(podSpec(objects));
      const provided = new Set([
        ...Object.keys(only(objects, 'ConfigMap').data ?? {}),
        ...(c.env ?? []).map((e) => e.name),
      ]);
      const expected = [...ENV_NAMES].filter((n) => !PROVISION_ONLY.has(n)).sort();
      expect([...provided].filter((n) => ENV_NAMES.has(n)).sort()).toEqual(expected);
      for (const name of PROVISION_ONLY) expect(provided).not.toContain(name);
    });

    it('takes the webhook URLs only from the Secret, never from the ConfigMap', () => {
      const data = only(objects, 'ConfigMap').data ?? {};
      const env = container(podSpec(objects)).env ?? [];
      for (const name of WEBHOOK_VARS) expect(data).not.toHaveProperty(name);
      expect(env.find((e) => e.name === ENV.notifyWebhookUrl)).toEqual({
        name: ENV.notifyWebhookUrl,
        valueFrom: {
          secretKeyRef: {
            name: values.webhooks.existingSecret,
            key: values.webhooks.notifyUrlKey,
            optional: true,
          },
        },
      });
      expect(env.find((e) => e.name === ENV.alertWebhookUrl)).toEqual({
        name: ENV.alertWebhookUrl,
        valueFrom: {
          secretKeyRef: {
            name: values.webhooks.existingSecret,
            key: values.webhooks.alertUrlKey,
            optional: true,
          },
        },
      });
      expect(objects.map((o) => o.kind)).not.toContain('Secret');
    });

    it('renders the values into the ConfigMap so that src/config.ts reads them back', () => {
      const data = only(objects, 'ConfigMap').data ?? {};
      const config = loadConfig({
        ...data,
        [ENV.notifyWebhookUrl]: 'https://mattermost.example.com/hooks/notify',
        [ENV.alertWebhookUrl]: 'https://mattermost.example.com/hooks/alert',
        // the file exists in the pod (mounted); read apart in the appOverrides test below
        [ENV.overridesFile]: '',
      });
      const v = values.config;
      expect(config).toMatchObject({
        appsBucket: v.appsBucket,
        releaseBucket: v.releaseBucket,
        releasePrefix: v.releasePrefix,
        releaseLayout: v.releaseLayout,
        executeRoleName: v.executeRoleName,
        invokePolicyName: v.invokePolicyName,
        invokeGroupName: v.invokeGroupName,
        createIam: v.createIam,
        concurrency: v.concurrency,
        logLevel: v.logLevel,
        lambdaTimeoutSeconds: v.lambdaTimeoutSeconds,
        lambdaMemoryMb: v.lambdaMemoryMb,
        lambdaSubnetIds: v.lambdaSubnetIds,
        appOverrides: {},
        lambdaSecurityGroupIds: v.lambdaSecurityGroupIds,
        lambdaEnvironment: v.lambdaEnvironment,
        lambdaLogRetentionDays: v.lambdaLogRetentionDays,
        lambdaRequestsPerSecond: v.lambdaRequestsPerSecond,
        lockTtlSeconds: v.lockTtlSeconds,
        pushgatewayUrl: v.pushgatewayUrl,
      });
      expect(config.aws).toMatchObject({
        region: v.region,
        endpoint: v.endpointUrl,
        maxAttempts: v.awsMaxAttempts,
        releaseAccess: {
          bucket: v.releaseBucket,
          roleArn: v.releaseRoleArn,
          externalId: v.releaseExternalId,
        },
      });
      expect(config.tmpBudgetBytes).toBe(2 * 2 ** 30); // tmp.sizeLimit 2Gi
    });

    it('renders appOverrides into a mounted ConfigMap that the deployer reads as its overrides file', () => {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-overrides'));
      const text = (cm as { data?: Record<string, string> } | undefined)?.data?.['overrides.yaml'] ?? '';
      const dir = mkdtempSync(path.join(os.tmpdir(), 'chart-overrides-'));
      writeFileSync(path.join(dir, 'overrides.yaml'), text);
      const data = only(objects, 'ConfigMap').data ?? {};
      expect(data[ENV.overridesFile]).toBe('/etc/apps-deployer/overrides.yaml');
      const config = loadConfig({ ...data, [ENV.overridesFile]: path.join(dir, 'overrides.yaml') });
      expect(config.appOverrides).toEqual({
        'com.example.heavy': { timeout: 300, architecture: 'arm64', reservedConcurrency: 10 },
      });
      const mounts = container(podSpec(objects)).volumeMounts as unknown[];
      expect(mounts).toContainEqual({ name: 'overrides', mountPath: '/etc/apps-deployer', readOnly: true });
    });

    it('pins the image by digest, appends extra args and honours the schedule options', () => {
      const spec = cronJobSpec(objects);
      expect(spec.schedule).toBe('15 */2 * * *');
      expect(spec.timeZone).toBe('Etc/UTC');
      expect(spec.concurrencyPolicy).toBe('Forbid');
      const c = container(spec.jobTemplate.spec.template.spec);
      expect(c.image).toMatch(/^registry\.example\.com\/mattermost\/apps-deployer@sha256:[a-f0-9]{64}$/);
      expect(c.args).toEqual(['reconcile', '--json']);
      expect(c.env?.find((e) => e.name === 'AWS_STS_REGIONAL_ENDPOINTS')?.value).toBe('regional');
      expect(spec.jobTemplate.spec.template.spec.volumes).toEqual([
        { name: 'tmp', emptyDir: { sizeLimit: '2Gi', medium: 'Memory' } },
        { name: 'overrides', configMap: { name: expect.stringMatching(/-overrides$/) as unknown } },
      ]);
      expect(objects.map((o) => o.kind)).not.toContain('Pod'); // tests.enabled: false
      expect(only(objects, 'ServiceAccount').metadata.name).toBe('mm-apps-deployer-sa');
    });
  });

  it('passes `helm lint --strict` with both ci values files', () => {
    for (const file of [MINIMAL_VALUES, FULL_VALUES]) {
      const res = helmLint(['-f', file]);
      expect({ file, ok: res.ok, output: res.output }).toMatchObject({ file, ok: true });
    }
  });

  describe('refuses bad values (values.schema.json and the chart checks)', () => {
    const minimal = ['-f', MINIMAL_VALUES];
    // a schema refusal is asserted on the field it names (helm's schema library changed its wording
    // between v3.18 and v3.19; schemaFields reads both), a chart check on its own message
    it.each([
      ['a non-numeric concurrency', ['--set', 'config.concurrency=x'], { field: '/config/concurrency' }],
      ['a concurrency above 32', ['--set', 'config.concurrency=33'], { field: '/config/concurrency' }],
      ['an unknown log level', ['--set', 'config.logLevel=loud'], { field: '/config/logLevel' }],
      ['an unknown top-level key', ['--set', 'replicas=2'], { field: '/replicas' }],
      [
        'a webhook URL as a plain value',
        ['--set', 'webhooks.notifyUrl=https://x.example.com'],
        { field: '/webhooks/notifyUrl' },
      ],
      [
        'a writable root filesystem',
        ['--set', 'securityContext.readOnlyRootFilesystem=false'],
        { field: '/securityContext/readOnlyRootFilesystem' },
      ],
      [
        'privilege escalation',
        ['--set', 'securityContext.allowPrivilegeEscalation=true'],
        { field: '/securityContext/allowPrivilegeEscalation' },
      ],
      [
        'running as root allowed',
        ['--set', 'podSecurityContext.runAsNonRoot=false'],
        { field: '/podSecurityContext/runAsNonRoot' },
      ],
      [
        'a release prefix without a trailing slash',
        ['--set', 'config.releasePrefix=bundles'],
        { field: '/config/releasePrefix' },
      ],
      ['a bad bucket name', ['--set', 'config.appsBucket=Bad_Bucket'], { field: '/config/appsBucket' }],
      ['a schedule that is not cron', ['--set', 'schedule=hourly'], { field: '/schedule' }],
      [
        'a memory limit below 512Mi',
        ['--set', 'resources.limits.memory=256Mi'],
        { message: 'at least 512Mi' },
      ],
      [
        'a subnet id that is not one',
        ['--set', 'config.lambdaSubnetIds={vpc-12345678}'],
        { field: '/config/lambdaSubnetIds/0' },
      ],
      [
        'a log retention CloudWatch refuses',
        ['--set', 'config.lambdaLogRetentionDays=10'],
        { field: '/config/lambdaLogRetentionDays' },
      ],
      [
        'deadlines that outlast the schedule',
        ['--set', 'activeDeadlineSeconds=3500'],
        { message: 'exceeds scheduleIntervalSeconds' },
      ],
      [
        'a lock TTL that outlasts the schedule',
        ['--set', 'config.lockTtlSeconds=900'],
        { message: 'exceeds scheduleIntervalSeconds' },
      ],
      [
        'a release prefix over the apps keys',
        ['--set', 'config.releasePrefix=manifests/'],
        { message: 'overlaps' },
      ],
      [
        'a release prefix inside the apps keys',
        ['--set', 'config.releasePrefix=deployer/bundles/'],
        { message: 'overlaps' },
      ],
      [
        'an empty release prefix in the apps bucket',
        ['--set', 'config.releasePrefix='],
        { message: 'overlaps' },
      ],
      [
        'an unknown release layout',
        ['--set', 'config.releaseLayout=tree'],
        { field: '/config/releaseLayout' },
      ],
      [
        'a role ARN that is not one',
        ['--set', 'serviceAccount.roleArn=apps-deployer'],
        { field: '/serviceAccount/roleArn' },
      ],
    ])('refuses %s', (_what, args, expected: { field?: string; message?: string }) => {
      const stderr = renderError([...minimal, ...args]);
      if (expected.field !== undefined) expect(schemaFields(stderr)).toContain(expected.field);
      if (expected.message !== undefined) expect(stderr).toContain(expected.message);
    });

    it('requires the IRSA role ARN when it creates the ServiceAccount', () => {
      const err = renderError(['--set', 'image.repository=example.com/apps-deployer']);
      expect(schemaFields(err)).toContain('/serviceAccount/roleArn');
    });

    it('requires the image repository', () => {
      const err = renderError(['--set', `serviceAccount.roleArn=${ROLE_ARN}`]);
      expect(schemaFields(err)).toContain('/image/repository');
    });

    it('requires a name for an existing ServiceAccount, and then needs no role ARN', () => {
      const base = [
        '--set',
        'image.repository=example.com/apps-deployer',
        '--set',
        'serviceAccount.create=false',
      ];
      expect(schemaFields(renderError(base))).toContain('/serviceAccount/name');
      const objects = renderOk([...base, '--set', 'serviceAccount.name=existing-sa']);
      expect(objects.map((o) => o.kind)).not.toContain('ServiceAccount');
      expect(podSpec(objects).serviceAccountName).toBe('existing-sa');
    });

    it("passes a larger /tmp to the deployer's budget; one below the bundle limit makes it exit 2", () => {
      const larger = renderOk([...minimal, '--set', 'tmp.sizeLimit=3Gi']);
      expect(loadConfig(only(larger, 'ConfigMap').data ?? {}).tmpBudgetBytes).toBe(3 * 2 ** 30);
      const smaller = renderOk([...minimal, '--set', 'tmp.sizeLimit=512Mi']);
      expect(only(smaller, 'ConfigMap').data?.[ENV.tmpBudget]).toBe('512Mi');
      expect(() => loadConfig(only(smaller, 'ConfigMap').data ?? {})).toThrow(
        /APPS_DEPLOYER_TMP_BUDGET must be at least/,
      );
    });

    it('accepts a longer lock TTL together with shorter deadlines', () => {
      const objects = renderOk([
        ...minimal,
        '--set',
        'config.lockTtlSeconds=900',
        '--set',
        'activeDeadlineSeconds=2400',
      ]);
      expect(only(objects, 'ConfigMap').data?.[ENV.lockTtlSeconds]).toBe('900');
    });
  });

  describe('NOTES.txt', () => {
    let notes: string;
    beforeAll(() => {
      notes = renderNotes(['-f', MINIMAL_VALUES], { release: 'apps-deployer', namespace: 'mattermost-apps' });
    });

    it('shows the manual-run command', () => {
      expect(notes).toContain(
        'kubectl -n mattermost-apps create job --from=cronjob/apps-deployer apps-deployer-manual-$(date +%s)',
      );
    });

    it('shows how to unlock with a pod that has the job’s identity, configuration and hardening', () => {
      // Run the two commands as shown, in bash, with kubectl replaced by a function that prints the
      // --overrides JSON it was given: this checks the shell quoting too.
      const commands = (notes.match(/^ {2}kubectl -n \S+ run .*\\\n.*$/gm) ?? []).filter((c) =>
        c.includes(' run apps-deployer-unlock '),
      );
      expect(commands).toHaveLength(2);
      expect(commands[0]).toContain(
        'kubectl -n mattermost-apps run apps-deployer-unlock --rm --attach --restart=Never',
      );
      const script = [
        'kubectl() { for a in "$@"; do case "$a" in --overrides=*) printf "%s\\n" "${a#--overrides=}";; esac; done; }',
        `ETAG='"0123abcd"'`,
        ...commands,
      ].join('\n');
      const res = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
      expect(res.stderr).toBe('');
      const [show, remove] = res.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { spec: PodSpec }).spec);
      expect(show?.serviceAccountName).toBe('apps-deployer');
      const c = container(show as PodSpec);
      expect(c.args).toEqual(['unlock']);
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'apps-deployer-config' } }]);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
      expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      // the ETag the operator pasted, its quotes stripped
      expect(container(remove as PodSpec).args).toEqual(['unlock', '--etag', '0123abcd']);
    });

    it('keeps the manual job name within 63 characters for a long release name', () => {
      const release = `mm-${'a'.repeat(50)}`; // 53 characters: helm's longest release name
      const long = renderNotes(['-f', MINIMAL_VALUES], { release, namespace: 'apps' });
      const m = /create job --from=cronjob\/(\S+) (\S+)-manual-\$\(date \+%s\)/.exec(long);
      expect(m).not.toBeNull();
      const [, cronJob, prefix] = m as RegExpExecArray;
      expect((cronJob as string).length).toBeLessThanOrEqual(52);
      expect(`${prefix}-manual-1700000000`.length).toBeLessThanOrEqual(63);
    });
  });
});
