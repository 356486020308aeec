/** Limits of the run observers, in one place. */

/** A webhook POST that takes longer is abandoned (and logged): a slow chat server never holds a run. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** Webhook messages sent at once. */
export const WEBHOOK_CONCURRENCY = 2;
/** Per channel (notifications, alerts) and run: beyond this, one digest message counts the rest. */
export const MAX_WEBHOOK_MESSAGES_PER_RUN = 20;
/** Issues listed in one rejection alert; the rest are counted. */
export const MAX_ISSUES_PER_ALERT = 10;
/** The `username` Mattermost shows for the deployer's webhook posts. */
export const WEBHOOK_USERNAME = 'apps-deployer';

/** A Pushgateway push that takes longer is abandoned (and logged). */
export const PUSHGATEWAY_TIMEOUT_MS = 5_000;
/** Pushgateway grouping key: <url>/metrics/job/<PUSHGATEWAY_JOB>. */
export const PUSHGATEWAY_JOB = 'apps_deployer';
/** `verify`'s grouping key: a group of its own, so that a verify push never replaces reconcile's. */
export const PUSHGATEWAY_VERIFY_JOB = 'apps_deployer_verify';
