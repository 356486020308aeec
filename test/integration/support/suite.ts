/**
 * The preamble the integration test files share: a temporary directory and the emulator's clients,
 * both released after the tests. Call at the top of the file or of a describe block (it registers
 * beforeAll and afterAll there).
 */
import { tempDir } from '../../support/bundle-builder';
import { testClients } from '../../support/emulator';

export type TestClients = ReturnType<typeof testClients>;

export interface TempSuite {
  /** The temporary directory: valid inside the tests (after beforeAll). */
  readonly dir: string;
  /** The emulator's clients (S3, Lambda, IAM), to read or change by hand what a run did. */
  readonly clients: TestClients;
}

export function tempSuite(prefix?: string): TempSuite {
  const clients = testClients();
  let dir: string | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir(prefix));
  });
  afterAll(async () => {
    await cleanup?.();
    clients.s3.destroy();
    clients.lambda.destroy();
    clients.iam.destroy();
  });
  return {
    clients,
    get dir(): string {
      if (dir === undefined) throw new Error('tempSuite: the directory is there inside the tests only');
      return dir;
    },
  };
}
