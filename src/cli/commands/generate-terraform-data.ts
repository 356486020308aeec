/**
 * `apps-deployer generate-terraform-data <bundle>`: prints the AWS names and keys a bundle produces, in
 * upstream appsctl's JSON shape, on stdout. An invalid bundle: its errors on stderr, exit 1. Warnings
 * of a valid bundle go to stderr too, so stdout stays pure JSON.
 */
import { escapeTerminal as t } from '../../text/escape';
import { ExitCode } from '../../errors';
import { terraformData, validateBundle, type Issue } from '../../bundle';

const line = (i: Issue): string => `${i.severity}: ${t(i.path)}: ${t(i.message)} [${t(i.code)}]\n`;

export async function run(file: string): Promise<number> {
  const result = await validateBundle(file);
  if (!result.ok) {
    process.stderr.write(`apps-deployer: ${file} is not a valid bundle:\n`);
    for (const i of [...result.errors, ...result.warnings]) process.stderr.write(line(i));
    return ExitCode.Failed;
  }
  for (const w of result.warnings) process.stderr.write(line(w));
  process.stdout.write(`${JSON.stringify(terraformData(result.bundle), null, 2)}\n`);
  return ExitCode.Ok;
}
