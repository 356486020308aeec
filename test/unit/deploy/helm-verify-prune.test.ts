/**
 * The chart's day-2 operations (issue 12): the optional verify CronJob — the reconcile CronJob's
 * image, identity, configuration, hardening, deadlines, retries and history limits, with `verify` as
 * its arguments and its exit 1 (drift) failing the job at once — and prune as a manual operation,
 * whose NOTES commands are run in bash (kubectl stubbed) to check what the operator would send.
 */
import { spawnSync } from 'node:child_process';
import { ENV } from '../../../src/config';
import { ExitCode } from '../../../src/errors';
import {
  FULL_VALUES,
  MINIMAL_VALUES,
  assertHelmInstalled,
  helmLint,
  only,
  renderError,
  renderNotes,
  renderOk,
  schemaFields,
  verifyCronJob,
  type K8sObject,
} from './helm';

interface Container {
  name: string;
  args: string[];
  env?: { name: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  securityContext: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName: string;
  containers: Container[];
  securityContext: Record<string, unknown>;
}
interface JobSpec {
  activeDeadlineSeconds: number;
  backoffLimit: number;
  ttlSecondsAfterFinished: number;
  podFailurePolicy?: {
    rules: { action: string; onExitCodes?: { containerName: string; operator: string; values: number[] } }[];
  };
  template: {
    metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
    spec: PodSpec;
  };
}
interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  suspend: boolean;
  concurrencyPolicy: string;
  startingDeadlineSeconds: number;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  jobTemplate: { metadata: { labels: Record<string, string> }; spec: JobSpec };
}

const spec = (o: K8sObject | undefined): CronJobSpec => {
  if (!o) throw new Error('no verify CronJob rendered');
  return o.spec as CronJobSpec;
};
const argsOf = (s: CronJobSpec) => (s.jobTemplate.spec.template.spec.containers[0] as Container).args;

/** The job spec without what may differ between the two CronJobs: the arguments and the component. */
function comparable(s: CronJobSpec): JobSpec {
  const job = structuredClone(s.jobTemplate.spec);
  for (const c of job.template.spec.containers) c.args = [];
  delete job.template.metadata.labels['app.kubernetes.io/component'];
  return job;
}

const minimal = ['-f', MINIMAL_VALUES];
const withVerify = [...minimal, '--set', 'verify.enabled=true'];

describe('helm chart: the verify CronJob', () => {
  beforeAll(() => {
    assertHelmInstalled();
  });

  it('is off by default', () => {
    const objects = renderOk(minimal);
    expect(verifyCronJob(objects)).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name)).toEqual([
      'apps-deployer',
    ]);
  });

  describe('when enabled', () => {
    let objects: K8sObject[];
    let verify: CronJobSpec;
    let reconcile: CronJobSpec;
    beforeAll(() => {
      objects = renderOk(withVerify);
      verify = spec(verifyCronJob(objects));
      reconcile = only(objects, 'CronJob').spec as CronJobSpec;
    });

    it('runs `verify` daily, one run at a time, apart from the hourly reconcile', () => {
      expect(verifyCronJob(objects)?.metadata.name).toBe('apps-deployer-verify');
      expect(argsOf(verify)).toEqual(['verify']);
      // daily: a fixed minute and hour, every day
      expect(verify.schedule).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
      expect(verify.schedule.split(' ')[0]).not.toBe('0'); // not on the hour, when reconcile starts
      expect(verify.concurrencyPolicy).toBe('Forbid');
      expect(verify.suspend).toBe(false);
      expect(argsOf(reconcile)).toEqual(['reconcile']);
    });

    it("has the reconcile CronJob's image, identity, environment, hardening, volumes, deadlines and retries", () => {
      expect(comparable(verify)).toEqual(comparable(reconcile));
      for (const key of [
        'startingDeadlineSeconds',
        'successfulJobsHistoryLimit',
        'failedJobsHistoryLimit',
        'timeZone',
      ] as const)
        expect({ key, value: verify[key] }).toEqual({ key, value: reconcile[key] });
      // the same webhook Secret and Pushgateway: the same ConfigMap and env
      const c = verify.jobTemplate.spec.template.spec.containers[0] as Container;
      expect(c.envFrom).toEqual([{ configMapRef: { name: only(objects, 'ConfigMap').metadata.name } }]);
    });

    it('fails the job at once on exit 1 (drift found), 2, 3 and 143; retries only exit 4', () => {
      const failJob = verify.jobTemplate.spec.podFailurePolicy?.rules.find((r) => r.action === 'FailJob');
      expect(failJob?.onExitCodes).toEqual({
        containerName: 'apps-deployer',
        operator: 'In',
        values: [ExitCode.Failed, ExitCode.Usage, ExitCode.Locked, ExitCode.Terminated],
      });
      expect(failJob?.onExitCodes?.values).not.toContain(ExitCode.Unavailable);
      expect(verify.jobTemplate.spec.backoffLimit).toBeGreaterThan(0);
    });

    it('labels the CronJob, its jobs and pods as the verifier', () => {
      expect(verifyCronJob(objects)?.metadata.labels?.['app.kubernetes.io/component']).toBe('verifier');
      expect(verify.jobTemplate.metadata.labels['app.kubernetes.io/component']).toBe('verifier');
      expect(verify.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/component']).toBe(
        'verifier',
      );
      expect(only(objects, 'CronJob').metadata.labels?.['app.kubernetes.io/component']).toBe('reconciler');
    });

    it('passes `helm lint --strict`', () => {
      const res = helmLint(withVerify);
      expect({ ok: res.ok, output: res.output }).toMatchObject({ ok: true });
    });
  });

  it('repairs with --wait-lock, appends extra args and follows suspend (ci/full-values.yaml)', () => {
    const objects = renderOk(['-f', FULL_VALUES]);
    const verify = spec(verifyCronJob(objects));
    expect(verifyCronJob(objects)?.metadata.name).toBe('mm-apps-deployer-verify');
    expect(argsOf(verify)).toEqual(['verify', '--repair', '--wait-lock', '900', '--json']);
    expect(verify.schedule).toBe('45 3 * * 1-5');
    expect(verify.timeZone).toBe('Etc/UTC');
    expect(comparable(verify)).toEqual(comparable(only(objects, 'CronJob').spec as CronJobSpec));
    const suspended = renderOk([...withVerify, '--set', 'suspend=true']);
    expect(spec(verifyCronJob(suspended)).suspend).toBe(true);
  });

  it('keeps its name within 52 characters for the longest release name', () => {
    const release = `mm-${'a'.repeat(50)}`;
    const objects = renderOk(withVerify, { release });
    const names = objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(52);
  });

  it.each([
    ['a schedule that is not cron', ['--set', 'verify.schedule=daily'], { field: '/verify/schedule' }],
    ['an unknown verify key', ['--set', 'verify.concurrency=2'], { field: '/verify/concurrency' }],
    [
      'an extra arg that is not a flag',
      ['--set', 'verify.extraArgs={json}'],
      { field: '/verify/extraArgs/0' },
    ],
    ['--repair as an extra arg', ['--set', 'verify.extraArgs={--repair}'], { field: '/verify/extraArgs/0' }],
    [
      'a lock wait as long as the job deadline',
      ['--set', 'verify.repair=true', '--set', 'verify.waitLockSeconds=2700'],
      { message: 'verify.waitLockSeconds (2700) must be shorter than activeDeadlineSeconds (2700)' },
    ],
  ])('refuses %s', (_what, args, expected: { field?: string; message?: string }) => {
    const stderr = renderError([...withVerify, ...args]);
    if (expected.field !== undefined) expect(schemaFields(stderr)).toContain(expected.field);
    if (expected.message !== undefined) expect(stderr).toContain(expected.message);
  });

  it('accepts a long lock wait when it does not repair (no lock taken)', () => {
    expect(verifyCronJob(renderOk([...withVerify, '--set', 'verify.waitLockSeconds=5000']))).toBeDefined();
  });
});

describe('helm chart: prune, a manual operation', () => {
  it('renders the pin list into the ConfigMap (APPS_DEPLOYER_PRUNE_PINNED), only when there is one', () => {
    expect(only(renderOk(minimal), 'ConfigMap').data).not.toHaveProperty('APPS_DEPLOYER_PRUNE_PINNED');
    const data = only(renderOk(['-f', FULL_VALUES]), 'ConfigMap').data ?? {};
    expect(data.APPS_DEPLOYER_PRUNE_PINNED).toBe('com.example.heavy@1.2.0,com.example.chat@0.9.1-rc1');
  });

  it.each([
    ['a pin without a version', ['--set', 'prune.pinned={com.example.app}'], '/prune/pinned/0'],
    ['a pin with a bad app id', ['--set', 'prune.pinned={x@1.0.0}'], '/prune/pinned/0'],
    ['keeping no version', ['--set', 'prune.keep=0'], '/prune/keep'],
    ['a negative age', ['--set', 'prune.olderThanDays=-1'], '/prune/olderThanDays'],
  ])('refuses %s', (_what, args, field) => {
    expect(schemaFields(renderError([...minimal, ...args]))).toContain(field);
  });
});

/** Runs the `kubectl ... run <name> ...` commands NOTES shows for `name`, with kubectl replaced by a
 * function that prints the --overrides JSON: the pod specs the operator's copy would send. */
function runCommands(notes: string, name: string): PodSpec[] {
  const commands = (notes.match(/^ {2}kubectl -n \S+ run .*\\\n.*$/gm) ?? []).filter((c) =>
    c.includes(` run ${name} `),
  );
  const script = [
    'kubectl() { for a in "$@"; do case "$a" in --overrides=*) printf "%s\\n" "${a#--overrides=}";; esac; done; }',
    ...commands,
  ].join('\n');
  const res = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(res.stderr).toBe('');
  return res.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => (JSON.parse(line) as { spec: PodSpec }).spec);
}

describe('NOTES.txt: verify and prune', () => {
  it('shows a dry run of prune, then the same with --apply, in a pod with the job’s identity and configuration', () => {
    const notes = renderNotes(minimal, { release: 'apps-deployer', namespace: 'mattermost-apps' });
    const [dry, apply, ...more] = runCommands(notes, 'apps-deployer-prune');
    expect(more).toEqual([]);
    expect((dry?.containers[0] as Container).args).toEqual(['prune', '--keep', '3', '--older-than', '30']);
    expect((apply?.containers[0] as Container).args).toEqual([
      'prune',
      '--keep',
      '3',
      '--older-than',
      '30',
      '--apply',
    ]);
    for (const pod of [dry, apply] as PodSpec[]) {
      expect(pod.serviceAccountName).toBe('apps-deployer');
      const c = pod.containers[0] as Container;
      expect(c.name).toBe('apps-deployer-prune'); // kubectl attaches to the container named as the pod
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'apps-deployer-config' } }]);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    }
    expect(notes.indexOf('--older-than","30"]')).toBeLessThan(notes.indexOf('"--apply"'));
  });

  it('shows a one-off verify when the CronJob is off', () => {
    const notes = renderNotes(minimal, { release: 'apps-deployer', namespace: 'mattermost-apps' });
    const pods = runCommands(notes, 'apps-deployer-verify');
    expect(pods.map((p) => (p.containers[0] as Container).args)).toEqual([['verify']]);
    expect(notes).not.toContain('create job --from=cronjob/apps-deployer-verify');
  });

  it('shows the manual run of the verify CronJob when it is on, and prune with the values and the webhooks', () => {
    const notes = renderNotes(['-f', FULL_VALUES], { release: 'apps-deployer', namespace: 'apps' });
    expect(notes).toContain(
      'kubectl -n apps create job --from=cronjob/mm-apps-deployer-verify mm-apps-deployer-verify-manual-$(date +%s)',
    );
    expect(notes).toContain('runs `apps-deployer verify --repair --wait-lock 900 --json` on "45 3 * * 1-5"');
    expect(runCommands(notes, 'mm-apps-deployer-verify')).toEqual([]);
    const [dry, apply] = runCommands(notes, 'mm-apps-deployer-prune');
    expect((dry?.containers[0] as Container).args).toEqual(['prune', '--keep', '2', '--older-than', '90']);
    expect((apply?.containers[0] as Container).args.at(-1)).toBe('--apply');
    // alerts of a manual prune go through the same webhooks
    const env = ((apply?.containers[0] as Container).env ?? []).map((e) => e.name);
    expect(env).toEqual(expect.arrayContaining([ENV.alertWebhookUrl, ENV.notifyWebhookUrl]));
  });

  it('keeps the manual verify job name within 63 characters for a long release name', () => {
    const release = `mm-${'a'.repeat(50)}`;
    const notes = renderNotes(withVerify, { release, namespace: 'apps' });
    const m = /create job --from=cronjob\/(\S+-verify) (\S+)-manual-\$\(date \+%s\)/.exec(notes);
    expect(m).not.toBeNull();
    const [, cronJob, prefix] = m as RegExpExecArray;
    expect((cronJob as string).length).toBeLessThanOrEqual(52);
    expect(`${prefix}-manual-1700000000`.length).toBeLessThanOrEqual(63);
  });
});
