/**
 * Release keys to move after a layout switch (APPS_DEPLOYER_RELEASE_LAYOUT): objects whose key is
 * canonical under the other layout. Under `per-app` they are rejected as non-canonical (once, by
 * ETag); the operator moves (copies) each to its new key, and the next run judges it there. Computed
 * from the release listing alone.
 */
import { escapeTerminal as t } from '../text/escape';
import { parseReleaseKey, releaseKey, type ReleaseLayout } from '../bundle/names';

export interface LayoutMove {
  appId: string;
  version: string;
  /** the key it has now */
  from: string;
  /** its canonical key under the configured layout */
  to: string;
}

export function layoutMoves(
  releaseKeys: Iterable<string>,
  prefix: string,
  layout: ReleaseLayout,
): LayoutMove[] {
  const other: ReleaseLayout = layout === 'flat' ? 'per-app' : 'flat';
  const moves: LayoutMove[] = [];
  for (const key of releaseKeys) {
    if (parseReleaseKey(prefix, key, layout)) continue;
    const parsed = parseReleaseKey(prefix, key, other);
    if (!parsed) continue;
    moves.push({ ...parsed, from: key, to: releaseKey(prefix, parsed.appId, parsed.version, layout) });
  }
  return moves.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/** The status section: empty when nothing is to move. */
export function formatLayoutMoves(moves: readonly LayoutMove[], layout: ReleaseLayout): string[] {
  if (moves.length === 0) return [];
  return [
    '',
    `Keys to move (${moves.length}): canonical in the other layout, not in ${layout} (APPS_DEPLOYER_RELEASE_LAYOUT)`,
    ...moves.map((m) => `  ${t(m.from)} -> ${t(m.to)}`),
  ];
}
