/** The whole hostile corpus, one row per attack class. */
import { FUNCTION_CASES } from './corpus-function';
import { LOCAL_CASES } from './corpus-local';
import { NAME_CASES } from './corpus-names';
import { STRUCTURE_CASES } from './corpus-structure';
import type { HostileCase } from './kit';

export const HOSTILE_CASES: HostileCase[] = [
  ...STRUCTURE_CASES,
  ...LOCAL_CASES,
  ...NAME_CASES,
  ...FUNCTION_CASES,
];
