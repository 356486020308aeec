/**
 * A version retired by `prune` stays retired: reconcile plans it `known-retired` (src/reconcile/plan.ts),
 * and `provision` refuses it too, so that a manual provision never brings back a version an operator
 * retired (its `retired`/`pruned` marker would otherwise contradict a live manifest). Un-retiring is
 * explicit: delete the version's markers (README "Prune").
 */
import type { S3Port } from '../aws/ports';
import { ConflictError } from '../provision/errors';
import { listAll } from '../reconcile/listing';
import { canonicalStem, parseMarkerKey } from '../reconcile/markers';
import { STATE_KEYS } from '../reconcile/types';

/** Throws a ConflictError (exit 1, nothing written) when `prune` retired this app version. */
export async function assertNotRetired(
  s3: S3Port,
  appsBucket: string,
  bundle: { appId: string; version: string; file: string },
): Promise<void> {
  const stem = canonicalStem(bundle.appId, bundle.version);
  const prefix = `${STATE_KEYS.seenPrefix}${stem}/`;
  const marker = (await listAll(s3, appsBucket, prefix))
    .map((o) => parseMarkerKey(o.key))
    .find((m) => m?.stem === stem && (m.outcome === 'retired' || m.outcome === 'pruned'));
  if (!marker) return;
  throw new ConflictError(
    `${bundle.file}: ${bundle.appId} ${bundle.version} was retired by prune; nothing provisioned`,
    {
      bundle: bundle.file,
      resource: `s3://${appsBucket}/${marker.key}`,
      hint:
        'publish a new version; to bring this one back on purpose, delete its retired and pruned markers ' +
        `(s3://${appsBucket}/${prefix}*/retired-v* and pruned-v*) and provision again`,
    },
  );
}
