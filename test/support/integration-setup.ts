/**
 * Jest globalSetup of the integration layer: global-setup.ts starts the test backend; when it cannot
 * (no .venv-moto, no Docker engine for LocalStack), its message alone is shown, in one line, instead
 * of a stack trace.
 */
import globalSetup, { currentBackend } from './global-setup';
import { MissingPrerequisite } from './prerequisites';

export async function backendSetup(config: { rootDir?: string }): Promise<void> {
  // jest runs a globalSetup (and globalTeardown) module once per distinct path: the integration and e2e
  // layers have one setup each but share global-teardown.ts, which runs once, so the backend is
  // started once and its environment (already in process.env) is shared
  if (currentBackend()) return;
  try {
    await globalSetup(config);
  } catch (err) {
    throw new MissingPrerequisite(err instanceof Error ? err.message : String(err));
  }
}

export default backendSetup;
