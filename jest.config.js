// Our SDK versions are locked; its notice that later releases need Node 22 is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Three layers, each runnable alone: unit (no network), integration (emulator), e2e (built CLI). */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/unit-setup.ts',
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // by design, one backend only: *.localstack.test.ts use LocalStack's own behaviour (Pending
      // functions); *.moto.test.ts need what LocalStack 4.14 does not keep (a function's VpcConfig)
      testPathIgnorePatterns:
        process.env.DEPLOYER_TEST_BACKEND === 'localstack'
          ? ['\\.moto\\.test\\.ts$']
          : ['\\.localstack\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/support/integration-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/e2e-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
