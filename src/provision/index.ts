/** Public API of the provisioner (see provisioner.ts for the contract). */
export { Provisioner, type ProvisionerDeps } from './provisioner';
export { ConflictError, DeadlineError, IamError, ProvisionStepError } from './errors';
export { DEFAULT_TUNING, type ProvisionTuning, CODE_PREFIX, SHA256_METADATA } from './constants';
export { codeKey } from './code';
export { invokePolicyDocument, executeRoleTrustPolicy } from './iam';
export * from './types';
