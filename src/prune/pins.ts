/**
 * The operator's pin list, APPS_DEPLOYER_PRUNE_PINNED: versions `prune` must keep because servers
 * still have them installed. `app_id@version`, comma-separated (spaces around entries ignored);
 * each entry must be a valid app id and version (DESIGN.md "Manifest"), else a configuration error.
 */
import { isValidAppId, isValidVersion } from '../bundle/names';

/** `app_id@version` */
export type PinnedVersion = string;

export function pinKey(appId: string, version: string): PinnedVersion {
  return `${appId}@${version}`;
}

/** Parses the list; problems (one per bad entry) are appended to `problems`. */
export function parsePinned(label: string, raw: string | undefined, problems: string[]): PinnedVersion[] {
  if (raw === undefined || raw.trim() === '') return [];
  const pins: PinnedVersion[] = [];
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const at = entry.lastIndexOf('@');
    const appId = at > 0 ? entry.slice(0, at) : '';
    const version = at > 0 ? entry.slice(at + 1) : '';
    if (!isValidAppId(appId) || !isValidVersion(version)) {
      problems.push(
        `${label}: "${entry.slice(0, 80)}" is not app_id@version (app id of 3-32 characters of ` +
          'A-Z a-z 0-9 . _ -, version of 1-10 characters of A-Z a-z 0-9 . -), e.g. com.example.app@1.2.0',
      );
      continue;
    }
    pins.push(pinKey(appId, version));
  }
  return [...new Set(pins)];
}
