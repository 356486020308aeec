/**
 * Order-free comparisons of a Lambda function's configuration with what provisioning sets: subnet and
 * security group ids as sets, environment variables as maps. A missing value on the function's side
 * (Lambda omits empty sections) reads as empty. Used where provisioning converges a function
 * (lambda.ts) and where adopt judges one (adopt/judge.ts), so both read a configuration alike.
 */

/** The same members, whatever their order and repetitions. */
export const sameSet = (a: readonly string[] | undefined, b: readonly string[]): boolean => {
  const x = new Set(a ?? []);
  return x.size === new Set(b).size && b.every((v) => x.has(v));
};

/** The same keys with the same values. */
export const sameMap = (a: Record<string, string> | undefined, b: Record<string, string>): boolean => {
  const x = a ?? {};
  return Object.keys(x).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => x[k] === v);
};
