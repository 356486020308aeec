/**
 * Jest globalSetup of the e2e layer: the built CLI must be there (see prerequisites.ts), then the test
 * backend of global-setup.ts starts; a backend that cannot start is reported in one line too.
 */
import { backendSetup } from './integration-setup';
import { MissingPrerequisite, missingBuild } from './prerequisites';

export default async function e2eSetup(config: { rootDir?: string }): Promise<void> {
  const missing = missingBuild();
  if (missing !== undefined) throw new MissingPrerequisite(missing);
  await backendSetup(config);
}
