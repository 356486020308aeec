import type { Issue } from '../bundle/types';

interface Uploaded {
  file: string;
  appId: string;
  version: string;
  bucket: string;
  key: string;
  /** sha256 of the local bundle, hex */
  sha256: string;
  size: number;
  warnings: Issue[];
}

/** What `upload` did. */
export type UploadResult =
  /** the bundle is now under its canonical release key */
  | (Uploaded & { status: 'uploaded'; etag?: string })
  /** the key already holds these exact bytes (a CI job run twice): nothing written */
  | (Uploaded & { status: 'already-uploaded'; etag?: string })
  /** the key holds other bytes: refused, versions are immutable */
  | (Uploaded & { status: 'conflict'; existingSha256?: string; message: string })
  /** the bundle is not valid: nothing written */
  | { status: 'invalid'; file: string; appId?: string; version?: string; errors: Issue[]; warnings: Issue[] };
