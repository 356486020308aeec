/**
 * `apps-deployer adopt [--only APP_ID] [--apply] [--json]`: takes over the functions appsctl or the
 * upstream deployer created (untagged) where they match a provisioned manifest and its release bundle,
 * and upstream's invoke policy (src/adopt). A dry run unless --apply. Exit 0 nothing is left that is
 * not the deployer's (all adopted, or nothing to adopt) · 1 something was reported as not adoptable
 * (left alone) · 2 usage or configuration (no execute role, access denied) · 3 another run holds the
 * lock (--apply) · 4 AWS unavailable.
 */
import { adopt } from '../../adopt';
import { formatAdoptReport } from '../../adopt/format';
import { toRunError } from '../../aws/failure-class';
import { loadConfig } from '../../config';
import { printJson } from '../json';
import { checkOnlyAppId, wireCommand } from '../wiring';

export interface AdoptCliOptions {
  only?: string;
  apply?: boolean;
  json?: boolean;
}

export async function run(opts: AdoptCliOptions): Promise<number> {
  checkOnlyAppId(opts.only);
  const deps = wireCommand(loadConfig());
  try {
    const report = await adopt(deps, { apply: opts.apply === true, only: opts.only });
    if (opts.json) printJson(report);
    else process.stdout.write(`${formatAdoptReport(report)}\n`);
    return report.exitCode;
  } catch (err) {
    // access denied, a missing bucket, no credentials: exit 2; AWS unreachable: 4
    throw toRunError(err, 'adopt');
  }
}
