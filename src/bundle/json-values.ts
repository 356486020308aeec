/**
 * Small helpers of the strict JSON reader: JSON paths in the notation of the manifest's issues, and
 * whether a number literal survives a 64-bit float exactly (so that it can be stored as given).
 */

/** "$.a", "$[0]", "$[\"a b\"]": the notation of the manifest's issue paths. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** The value of a decimal literal as "<digits>e<exponent>" with no leading or trailing zeros ("0" for 0). */
export function decimalKey(literal: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return literal;
  const [, sign = '', int = '', frac = '', exp = '0'] = m;
  let digits = `${int}${frac}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let exponent = BigInt(exp) - BigInt(frac.length);
  const trimmed = digits.replace(/0+$/, '');
  exponent += BigInt(digits.length - trimmed.length);
  digits = trimmed;
  return `${sign}${digits}e${exponent}`;
}

/** Does the float `value` hold exactly the number the `literal` writes? */
export function isExact(literal: string, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const shortest = JSON.stringify(value);
  // fast path: most literals are already the float's shortest form
  return shortest === literal || decimalKey(literal) === decimalKey(shortest);
}
