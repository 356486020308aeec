/** Named bounds of `adopt`. */

/** Release bundles downloaded and validated at once (each one a temp file). */
export const ADOPT_DOWNLOADS = 2;
/** GetFunction calls at once (GetFunction has its own Lambda quota pool; the limiter paces them). */
export const ADOPT_READS = 4;
/** Functions tagged at once (TagResource counts against the shared control-plane pool). */
export const ADOPT_WRITES = 2;
/** ListFunctions page size (Lambda's maximum is 50). */
export const LIST_FUNCTIONS_PAGE = 50;
/** Safety net against an endpoint that keeps answering with a next marker. */
export const MAX_LIST_FUNCTION_PAGES = 10_000;
/** IAM keeps at most 5 versions of a managed policy. */
export const MAX_POLICY_VERSIONS = 5;
