/**
 * `apps-deployer validate <bundle...>`: checks bundles without touching AWS. Human output on stdout
 * (per bundle: OK/INVALID, then errors and warnings with their paths) or `--json`. Exit 0 when every
 * bundle is valid, 1 when any is invalid or unreadable, 2 when a path is not a file. Every value
 * from the bundle (app id, version, function names, issue paths and messages) is escaped for the
 * terminal; --json is JSON.stringify's standard escaping.
 */
import { ExitCode, errorMessage } from '../../errors';
import { validateBundle, type Issue, type ValidationResult } from '../../bundle';
import { escapeTerminal as t, terminalSafe } from '../../text/escape';
import { assertBundleFiles } from '../files';
import { VALIDATE_VERSION, printJson } from '../json';

/** `validate --json`: one document for every bundle named. */
export interface ValidateDocument {
  validateVersion: typeof VALIDATE_VERSION;
  bundles: ValidateReport[];
}

export interface ValidateReport {
  file: string;
  ok: boolean;
  appId?: string;
  version?: string;
  errors: Issue[];
  warnings: Issue[];
  /** for valid bundles: what would be deployed */
  sha256?: string;
  manifestKey?: string;
  functions?: { name: string; lambdaName: string; runtime: string; size: number; codeSha256: string }[];
  assets?: number;
}

function report(file: string, result: ValidationResult): ValidateReport {
  if (!result.ok) {
    return {
      file,
      ok: false,
      appId: result.appId,
      version: result.version,
      errors: result.errors,
      warnings: result.warnings,
    };
  }
  const b = result.bundle;
  return {
    file,
    ok: true,
    appId: b.appId,
    version: b.version,
    errors: [],
    warnings: result.warnings,
    sha256: b.sha256Hex,
    manifestKey: b.manifestKey,
    functions: b.functions.map((f) => ({
      name: f.name,
      lambdaName: f.lambdaName,
      runtime: f.runtime,
      size: f.size,
      codeSha256: f.codeSha256,
    })),
    assets: b.assets.length,
  };
}

function unreadable(file: string, err: unknown): ValidateReport {
  return {
    file,
    ok: false,
    errors: [{ severity: 'error', code: 'BUNDLE_UNREADABLE', path: '(bundle)', message: errorMessage(err) }],
    warnings: [],
  };
}

export function formatIssue(i: Issue): string {
  return `  ${i.severity === 'error' ? 'error  ' : 'warning'} ${t(i.path)}: ${t(i.message)} [${t(i.code)}]`;
}

export function formatReport(r: ValidateReport): string {
  const what = r.appId ? ` ${t(r.appId)}${r.version ? ` ${t(r.version)}` : ''}` : '';
  const lines = [`${t(r.file)}: ${r.ok ? 'OK' : 'INVALID'}${what}`];
  if (r.ok) {
    lines.push(
      `  manifest ${t(r.manifestKey ?? '')}, ${r.functions?.length ?? 0} function(s), ${r.assets ?? 0} static file(s), sha256 ${r.sha256}`,
    );
    for (const f of r.functions ?? [])
      lines.push(`  function ${t(JSON.stringify(f.name))} → ${t(f.lambdaName)} (${t(f.runtime)})`);
  }
  lines.push(...r.errors.map(formatIssue), ...r.warnings.map(formatIssue));
  if (!r.ok) lines.push(`  ${r.errors.length} error(s), ${r.warnings.length} warning(s)`);
  else if (r.warnings.length) lines.push(`  ${r.warnings.length} warning(s)`);
  return lines.join('\n');
}

export async function run(files: string[], opts: { json?: boolean }): Promise<number> {
  await assertBundleFiles(files); // a missing file is a usage error (exit 2), not an invalid bundle
  const reports: ValidateReport[] = [];
  for (const file of files) {
    try {
      reports.push(report(file, await validateBundle(file)));
    } catch (err) {
      reports.push(unreadable(file, err));
    }
    if (!opts.json)
      process.stdout.write(`${terminalSafe(formatReport(reports[reports.length - 1] as ValidateReport))}\n`);
  }
  if (opts.json)
    printJson({ validateVersion: VALIDATE_VERSION, bundles: reports } satisfies ValidateDocument);
  return reports.every((r) => r.ok) ? ExitCode.Ok : ExitCode.Failed;
}
