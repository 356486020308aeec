/**
 * Loading the configuration in the unit tests: from exactly the environment given (nothing from the
 * process), and the one ConfigError (exit 2) that names every problem.
 */
import { loadConfig, type DeployerConfig } from '../../../src/config';
import { ConfigError, ExitCode, exitCodeFor } from '../../../src/errors';

/** loadConfig on `env` alone, without overrides or options. */
export const loadFrom = (env: Record<string, string>): DeployerConfig => loadConfig(env, {}, {});

/** The message of the ConfigError (exit 2) that loading `env` throws; fails the test when it loads. */
export function configProblem(env: Record<string, string>): string {
  try {
    loadFrom(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(err)).toBe(ExitCode.Usage);
    return (err as Error).message;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}
