/**
 * Jest globalSetup of the integration layer: global-setup.ts starts the test backend; when it cannot
 * (no .venv-moto, no Docker engine for LocalStack), its message alone is shown, in one line, instead
 * of a stack trace.
 */
import globalSetup from './global-setup';
import { MissingPrerequisite } from './prerequisites';

export async function backendSetup(config: { rootDir?: string }): Promise<void> {
  try {
    await globalSetup(config);
  } catch (err) {
    throw new MissingPrerequisite(err instanceof Error ? err.message : String(err));
  }
}

export default backendSetup;
