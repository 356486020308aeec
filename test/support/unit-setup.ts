/** Jest globalSetup of the unit layer: one line when a prerequisite is missing (see prerequisites.ts). */
import { MissingPrerequisite, missingHelm } from './prerequisites';

export default function unitSetup(): void {
  const missing = missingHelm();
  if (missing !== undefined) throw new MissingPrerequisite(missing);
}
