/**
 * The `generate-terraform-data` document: the same shape as upstream's appsctl (DeployData as JSON):
 * static files by their path under static/, Lambda functions by their manifest name, the manifest key.
 * Map keys are sorted, as Go's encoding/json sorts them.
 */
import type { Bundle } from './types';

export interface TerraformData {
  static_files: Record<string, { key: string }>;
  lambda_functions: Record<string, { name: string; handler: string; runtime: string }>;
  manifest_key: string;
}

const byKey = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function terraformData(bundle: Bundle): TerraformData {
  return {
    static_files: byKey(bundle.assets.map((a) => [a.relPath, { key: a.key }])),
    lambda_functions: byKey(
      bundle.functions.map((f) => [f.name, { name: f.lambdaName, handler: f.handler, runtime: f.runtime }]),
    ),
    manifest_key: bundle.manifestKey,
  };
}
