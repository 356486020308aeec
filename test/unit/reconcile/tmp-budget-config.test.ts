/**
 * The settings of this area in src/config.ts: the temp-file budget (APPS_DEPLOYER_TMP_BUDGET, bytes
 * or a Kubernetes quantity, at least the bundle size limit) and the SDK's attempts
 * (APPS_DEPLOYER_AWS_MAX_ATTEMPTS).
 */
import { MAX_BUNDLE_BYTES } from '../../../src/bundle/limits';
import { ConfigError, ExitCode } from '../../../src/errors';
import { DEFAULTS, ENV, loadConfig, parseByteSize } from '../../../src/config';

describe('temp-file budget', () => {
  it('defaults to 4 × the bundle limit', () => {
    expect(loadConfig({}).tmpBudgetBytes).toBe(4 * MAX_BUNDLE_BYTES);
  });

  it.each([
    ['1073741824', 1073741824],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['4096Mi', 4 * 2 ** 30],
    ['2G', 2e9],
    ['2048M', 2048e6],
    ['4e9', 4e9],
    ['1Ti', 2 ** 40],
  ])('accepts %s', (raw, bytes) => {
    expect(parseByteSize(raw)).toBe(bytes);
    expect(loadConfig({ [ENV.tmpBudget]: raw }).tmpBudgetBytes).toBe(bytes);
  });

  it.each(['lots', '-1Gi', '1GB', '0', '1Gib', '1 Gi', '1e400'])(
    'refuses %s (exit 2, naming the variable)',
    (raw) => {
      expect(() => loadConfig({ [ENV.tmpBudget]: raw })).toThrow(ENV.tmpBudget);
    },
  );

  it('refuses a budget smaller than the bundle limit', () => {
    let err: unknown;
    try {
      loadConfig({ [ENV.tmpBudget]: '512Mi' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(ExitCode.Usage);
    expect((err as ConfigError).message).toMatch(/APPS_DEPLOYER_TMP_BUDGET must be at least/);
  });
});

describe('SDK attempts', () => {
  it('default to 8 and can be bounded for tests and impatient operators', () => {
    expect(loadConfig({}).aws.maxAttempts).toBe(DEFAULTS.maxAttempts);
    expect(loadConfig({ [ENV.awsMaxAttempts]: '1' }).aws.maxAttempts).toBe(1);
    expect(() => loadConfig({ [ENV.awsMaxAttempts]: '0' })).toThrow(ENV.awsMaxAttempts);
    expect(() => loadConfig({ [ENV.awsMaxAttempts]: '99' })).toThrow(ENV.awsMaxAttempts);
  });
});
