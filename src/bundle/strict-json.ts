/**
 * A strict JSON reader for bundle manifests (RFC 8259 grammar, nothing more), written by hand because
 * JSON.parse silently keeps the last of two equal keys and no maintained parser reports duplicates,
 * depth and unstorable values with their paths. Besides syntax it reports, all at once and each with
 * its JSON path ("$.aws_lambda[0].name"):
 *  - a key given twice in one object (compared after unescaping: "a" and "\u0061" are one key), since
 *    two readers would pick different values;
 *  - nesting deeper than `maxDepth` containers (the root object or array is depth 1);
 *  - the keys "__proto__", "constructor" and "prototype", anywhere;
 *  - a lone UTF-16 surrogate written as an escape ("\ud800"): no UTF-8 text can hold it, so it cannot
 *    be stored as given (Go's reader turns it into U+FFFD);
 *  - a number that a 64-bit float cannot hold exactly (1e400, 12345678901234567890, 1e-400): every JSON
 *    reader downstream (the Apps plugin's too) would read another value, so it cannot round-trip.
 * The reader is iterative (no recursion, so no stack overflow whatever the nesting) and builds plain
 * objects with own data properties only; a forbidden key is never assigned, so no prototype can change.
 */

import { childPath, isExact } from './json-values';

export { childPath, decimalKey } from './json-values';

/** The deepest nesting accepted by default (containers, the root included). */
export const MAX_JSON_DEPTH = 64;
/** Keys that would reach an object's prototype machinery in JavaScript readers. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** Problems of one kind reported at most this many times (then counted), so a hostile file stays short. */
export const MAX_PROBLEMS_PER_KIND = 20;

export type StrictJsonProblemKind =
  'duplicate-key' | 'too-deep' | 'forbidden-key' | 'lone-surrogate' | 'inexact-number';

export interface StrictJsonProblem {
  kind: StrictJsonProblemKind;
  /** JSON path of the key or value ("$.a[0].b") */
  path: string;
  /** what is wrong, without the path */
  message: string;
}

export interface StrictJsonSyntaxError {
  message: string;
  line: number;
  column: number;
}

export type StrictJsonResult =
  | {
      ok: true;
      value: unknown;
      problems: StrictJsonProblem[];
      /** problems past MAX_PROBLEMS_PER_KIND, counted by kind */
      omitted: Partial<Record<StrictJsonProblemKind, number>>;
    }
  | { ok: false; syntax: StrictJsonSyntaxError };

type Frame =
  | {
      kind: 'object';
      value: Record<string, unknown>;
      path: string;
      keys: Set<string>;
      key?: string;
      /** the current member's key is forbidden: its value is read, never assigned */
      skip?: boolean;
    }
  | { kind: 'array'; value: unknown[]; path: string };

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const LONE = 'has a lone UTF-16 surrogate escape ("\\ud800"), which no UTF-8 text can hold';
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex -- raw control characters end a run: JSON requires them escaped
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;

const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

class Reader {
  private pos = 0;
  private readonly problems: StrictJsonProblem[] = [];
  private readonly counts = new Map<StrictJsonProblemKind, number>();
  private readonly omitted: Partial<Record<StrictJsonProblemKind, number>> = {};

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  run(): StrictJsonResult {
    try {
      const value = this.document();
      return { ok: true, value, problems: this.problems, omitted: this.omitted };
    } catch (err) {
      if (!(err instanceof SyntaxProblem)) throw err;
      const before = this.text.slice(0, err.offset);
      const line = before.split('\n').length;
      const column = err.offset - (before.lastIndexOf('\n') + 1) + 1;
      return { ok: false, syntax: { message: err.message, line, column } };
    }
  }

  private report(kind: StrictJsonProblemKind, path: string, message: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n > MAX_PROBLEMS_PER_KIND) this.omitted[kind] = n - MAX_PROBLEMS_PER_KIND;
    else this.problems.push({ kind, path, message });
  }

  private fail(expected: string): never {
    const c = this.text[this.pos];
    const found = c === undefined ? 'the end of the text' : JSON.stringify(c);
    throw new SyntaxProblem(`expected ${expected}, found ${found}`, this.pos);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos += 1;
    }
  }

  /** The whole text: one value, then only whitespace. Containers are handled with an explicit stack. */
  private document(): unknown {
    const stack: Frame[] = [];
    const root: { value?: unknown } = {};
    const attach = (value: unknown): void => {
      const top = stack[stack.length - 1];
      if (!top) root.value = value;
      else if (top.kind === 'array') top.value.push(value);
      else if (top.key !== undefined && !top.skip) {
        Object.defineProperty(top.value, top.key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
    };
    const pathOfNext = (): string => {
      const top = stack[stack.length - 1];
      if (!top) return '$';
      return top.kind === 'array'
        ? childPath(top.path, top.value.length)
        : childPath(top.path, top.key ?? '');
    };
    do {
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === '{' || c === '[') {
        const path = pathOfNext();
        this.pos += 1;
        if (stack.length === this.maxDepth) {
          this.report(
            'too-deep',
            path,
            `nested deeper than ${this.maxDepth} levels (objects and lists, the top level included)`,
          );
        }
        const frame: Frame =
          c === '{'
            ? { kind: 'object', value: {}, path, keys: new Set() }
            : { kind: 'array', value: [], path };
        attach(frame.value);
        stack.push(frame);
        this.skipSpace();
        if (this.text[this.pos] !== (c === '{' ? '}' : ']')) {
          if (frame.kind === 'object') this.memberKey(frame);
          continue; // the first member's value
        }
        this.pos += 1;
        stack.pop();
      } else attach(this.scalar(pathOfNext));
      // after a value: inside a container, "," and the next member, or the closing bracket(s)
      while (stack.length > 0) {
        const top = stack[stack.length - 1] as Frame;
        this.skipSpace();
        const close = top.kind === 'object' ? '}' : ']';
        const next = this.text[this.pos];
        if (next === ',') {
          this.pos += 1;
          if (top.kind === 'object') this.memberKey(top);
          break;
        }
        if (next !== close) this.fail(`"," or "${close}"`);
        this.pos += 1;
        stack.pop();
      }
    } while (stack.length > 0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('the end of the text after the top-level value');
    return root.value;
  }

  /** `"key":` of an object member; records duplicates, forbidden keys and lone surrogates in keys. */
  private memberKey(frame: Extract<Frame, { kind: 'object' }>): void {
    this.skipSpace();
    if (this.text[this.pos] !== '"') this.fail('a string key in double quotes');
    const { value: key, lone } = this.string();
    const path = childPath(frame.path, key);
    this.skipSpace();
    if (this.text[this.pos] !== ':') this.fail('":" after an object key');
    this.pos += 1;
    frame.key = key;
    frame.skip = FORBIDDEN_KEYS.has(key);
    if (lone) this.report('lone-surrogate', path, `the key ${LONE}`);
    if (FORBIDDEN_KEYS.has(key)) {
      this.report(
        'forbidden-key',
        path,
        `the key ${JSON.stringify(key)} is not allowed (it reaches object prototypes in JavaScript readers)`,
      );
    } else if (frame.keys.has(key)) {
      this.report(
        'duplicate-key',
        path,
        `the key ${JSON.stringify(key)} appears twice in one object; readers disagree on which value counts`,
      );
    }
    frame.keys.add(key);
  }

  /** A string at this.pos (the opening quote); `lone` when it holds a lone surrogate escape. */
  private string(): { value: string; lone: boolean } {
    const t = this.text;
    this.pos += 1;
    let out = '';
    let lone = false;
    for (;;) {
      PLAIN_RUN.lastIndex = this.pos;
      PLAIN_RUN.exec(t);
      out += t.slice(this.pos, PLAIN_RUN.lastIndex);
      this.pos = PLAIN_RUN.lastIndex;
      const c = t[this.pos];
      if (c === '"') {
        this.pos += 1;
        break;
      }
      if (c === undefined) this.fail("a closing '\"'");
      if (c !== '\\') throw new SyntaxProblem('control characters must be escaped inside strings', this.pos);
      const e = t[this.pos + 1];
      if (e === 'u') {
        const unit = this.hex4(this.pos + 2);
        this.pos += 6;
        if (isHighSurrogate(unit) && t[this.pos] === '\\' && t[this.pos + 1] === 'u') {
          const low = this.hex4(this.pos + 2);
          if (isLowSurrogate(low)) {
            out += String.fromCharCode(unit, low);
            this.pos += 6;
            continue;
          }
        }
        if (isHighSurrogate(unit) || isLowSurrogate(unit)) lone = true;
        out += String.fromCharCode(unit);
        continue;
      }
      const decoded = e === undefined ? undefined : ESCAPES[e];
      if (decoded === undefined) {
        this.pos += 1;
        this.fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      }
      out += decoded;
      this.pos += 2;
    }
    return { value: out, lone };
  }

  private hex4(at: number): number {
    const h = this.text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(h)) {
      this.pos = at;
      this.fail('four hex digits after \\u');
    }
    return parseInt(h, 16);
  }

  /** A scalar at this.pos; `path` is called only when there is a problem to report. */
  private scalar(path: () => string): unknown {
    const t = this.text;
    const c = t[this.pos];
    if (c === '"') {
      const { value, lone } = this.string();
      if (lone) this.report('lone-surrogate', path(), `the string ${LONE}`);
      return value;
    }
    for (const [word, value] of LITERALS) {
      if (t.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(t);
    if (!m) this.fail('a value (object, array, string, number, true, false or null)');
    const literal = m[0];
    this.pos += literal.length;
    const value = Number(literal) + 0; // -0 is stored as 0 (JSON.stringify writes it so)
    if (!isExact(literal, value)) {
      const got = Number.isFinite(value) ? JSON.stringify(value) : 'infinity';
      this.report(
        'inexact-number',
        path(),
        `the number ${literal.length > 40 ? `${literal.slice(0, 37)}...` : literal} cannot be stored exactly (JSON readers hold 64-bit floats and would read ${got}); write it as a string`,
      );
    }
    return value;
  }
}

/** Reads `text` strictly (see the module comment). Never throws for bad input. */
export function parseStrictJson(text: string, options: { maxDepth?: number } = {}): StrictJsonResult {
  return new Reader(text, options.maxDepth ?? MAX_JSON_DEPTH).run();
}
