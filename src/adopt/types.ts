/**
 * Types of `apps-deployer adopt` (DESIGN.md "Adoption from the upstream deployer"): what it found for
 * every candidate function, every provisioned version and the two IAM objects, as a versioned JSON
 * document (ADOPT_VERSION, like plan/status). Adding fields keeps the version; changing one bumps it.
 */

export const ADOPT_VERSION = 1;

/** Why a function is left alone (never tagged, never changed). */
export type LeftReason =
  /** its CodeSha256 is not the release bundle's function zip */
  | 'other-code'
  /** runtime, handler, role, environment or architecture differ from what provisioning sets */
  | 'other-config'
  /** no provisioned manifest names it */
  | 'no-manifest'
  /** its version has a manifest but no release bundle under the canonical key */
  | 'no-release-bundle'
  /** the release bundle is invalid, or its manifest does not match the provisioned one */
  | 'bundle-mismatch'
  /** a managed-by tag of another tool */
  | 'tagged-by-someone-else'
  /** it matches, but another function of its version does not (a version is adopted whole) */
  | 'version-incomplete';

export type FunctionStatus =
  /** dry run: would be tagged */
  | 'adopt'
  /** --apply: tagged in this run */
  | 'adopted'
  /** carries the deployer's managed-by tag already */
  | 'already-ours'
  | 'left';

export interface AdoptFunction {
  lambdaName: string;
  arn?: string;
  appId?: string;
  version?: string;
  status: FunctionStatus;
  reason?: LeftReason;
  /** for humans: what matched or what differs */
  detail: string;
  /** already ours: the app, version and bundle its tags name */
  taggedAs?: { appId?: string; version?: string; bundleSha256?: string };
  /** settings the next reconcile converges once the function is ours (timeout, memory, VPC) */
  settingsToConverge?: string[];
}

export type VersionStatus = 'adopt' | 'adopted' | 'already-ours' | 'left';

export interface AdoptVersion {
  appId: string;
  version: string;
  manifestKey: string;
  releaseKey?: string;
  status: VersionStatus;
  reason?: LeftReason | 'function-missing';
  detail: string;
}

export type IamStatus =
  /** the deployer's already (tagged), or nothing to take over */
  | 'ours'
  /** missing: reconcile creates it */
  | 'missing'
  /** IAM creation is off: the deployer writes no IAM object, nothing to take over */
  | 'not-needed'
  /** dry run: would be taken over */
  | 'take-over'
  /** --apply: taken over in this run */
  | 'taken-over'
  | 'left';

export interface AdoptIamObject {
  arn: string;
  status: IamStatus;
  detail: string;
  /** the invoke policy: the document a take-over writes */
  document?: string;
}

export interface AdoptReport {
  adoptVersion: typeof ADOPT_VERSION;
  dryRun: boolean;
  only?: string;
  functions: AdoptFunction[];
  versions: AdoptVersion[];
  executeRole: AdoptIamObject;
  invokePolicy: AdoptIamObject;
  /** 0 nothing left that is not ours; 1 something was reported as not adoptable */
  exitCode: 0 | 1;
}
