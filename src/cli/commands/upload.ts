/**
 * `apps-deployer upload <bundle.zip> [--json]` (GitLab CI): validate, then create the bundle under its
 * canonical release key. Exit 0 uploaded or already uploaded (same bytes); 1 invalid bundle or other
 * bytes under that version (nothing written); 2 configuration error.
 */
import { escapeTerminal as t } from '../../text/escape';
import path from 'node:path';
import type { Issue } from '../../bundle/types';
import { loadConfig } from '../../config';
import { ExitCode } from '../../errors';
import { uploadBundle, type UploadResult } from '../../upload';
import { UPLOAD_VERSION, printJson } from '../json';
import { StatusLine, formatBar } from '../../reconcile/observers/progress';
import { wireCommand } from '../wiring';

function issueLines(issues: Issue[]): string[] {
  return issues.map((i) => `  ${i.severity.padEnd(7)}  ${i.path ? `${t(i.path)}: ` : ''}${t(i.message)}`);
}

function human(r: UploadResult): { out: string[]; err: string[] } {
  switch (r.status) {
    case 'invalid':
      return {
        out: [],
        err: [
          `${r.file} is not a valid app bundle; nothing was uploaded (${r.errors.length} error${r.errors.length === 1 ? '' : 's'}):`,
          ...issueLines([...r.errors, ...r.warnings]),
        ],
      };
    case 'uploaded':
      return {
        out: [
          `uploaded ${r.appId} ${r.version} to s3://${r.bucket}/${r.key} (${r.size} bytes, sha256 ${r.sha256})`,
        ],
        err: r.warnings.length ? ['warnings:', ...issueLines(r.warnings)] : [],
      };
    case 'already-uploaded':
      return {
        out: [
          `already uploaded: s3://${r.bucket}/${r.key} holds these exact bytes (sha256 ${r.sha256}); nothing written`,
        ],
        err: r.warnings.length ? ['warnings:', ...issueLines(r.warnings)] : [],
      };
    case 'conflict':
      return { out: [], err: [`refused: ${t(r.message)}`] };
  }
}

export async function run(file: string, opts: { json?: boolean }): Promise<number> {
  const config = loadConfig();
  const { ports } = wireCommand(config);
  // a progress bar on a terminal only (never in CI logs or with --json)
  const status = process.stderr.isTTY === true && !opts.json ? new StatusLine(process.stderr) : undefined;
  const onBytes = status
    ? (bytes: number, total: number): void =>
        status.update(`  ↑ ${path.basename(file)}  ${formatBar(bytes, total)}`, bytes >= total)
    : undefined;
  const result = await uploadBundle(
    file,
    {
      releaseBucket: config.releaseBucket,
      releasePrefix: config.releasePrefix,
      releaseLayout: config.releaseLayout,
    },
    { s3: ports.s3, onBytes },
  ).finally(() => status?.clear());
  if (opts.json) printJson({ uploadVersion: UPLOAD_VERSION, ...result });
  else {
    const { out, err } = human(result);
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
    if (err.length) process.stderr.write(`${err.join('\n')}\n`);
  }
  return result.status === 'uploaded' || result.status === 'already-uploaded' ? ExitCode.Ok : ExitCode.Failed;
}
