/**
 * Bundle paths given on the command line: a path that is not a readable file is a usage error
 * (exit 2, DESIGN.md "Exit codes"), found before any work starts.
 */
import { stat } from 'node:fs/promises';
import { UsageError } from '../errors';

export async function assertBundleFiles(files: readonly string[]): Promise<void> {
  const problems: string[] = [];
  for (const file of files) {
    try {
      if (!(await stat(file)).isFile()) problems.push(`${file} is not a file`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(
        code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot be read (${code ?? 'error'})`,
      );
    }
  }
  if (problems.length > 0)
    throw new UsageError(problems.join('; '), 'give the path of a bundle zip file that exists');
}
