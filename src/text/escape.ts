/**
 * Escaping of strings that come from a bundle or a listing (entry names, manifest values, release
 * keys, messages quoting them) wherever they are shown. Contract: DESIGN.md "One reading of every
 * byte" (control characters on a terminal, Markdown and mentions in webhook posts). JSON output needs
 * nothing here: it is always written with JSON.stringify (standard escaping), never by hand.
 *
 *  - terminal: C0 controls (newline and tab included, so one value stays on one line), DEL and C1 as
 *    `\xNN` (so ANSI escape sequences lose their ESC), and the invisible characters that reorder or
 *    split what is shown (bidi embeddings, overrides, isolates and marks, line and paragraph
 *    separators, lone surrogates) as `\u{XXXX}`;
 *  - Mattermost Markdown: the terminal escaping, then every character with a Markdown meaning
 *    backslash-escaped (links and images `[x](y)`, emphasis, code, headings, emoji `:x:`, channel
 *    links `~x`, HTML `<x>`), and every `@` followed by a zero-width joiner, so that `@all`,
 *    `@channel`, `@here` or `@someone` mention nobody;
 *  - a Markdown code span that shows a value verbatim whatever backticks it holds (its fence is longer
 *    than any run of backticks inside), with the same control and mention neutralization.
 */

/** Inserted after "@" in posts: invisible, and it ends Mattermost's mention pattern. */
export const ZERO_WIDTH_JOINER = '\u200d';

// C0, DEL, C1; bidi marks (U+061C, U+200E, U+200F), line/paragraph separators, embeddings and
// overrides (U+202A-U+202E), isolates (U+2066-U+2069); lone surrogates
const INVISIBLE = '\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNSAFE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${INVISIBLE}]|${LONE_SURROGATE}`, 'g');
const UNSAFE_BUT_NEWLINE = new RegExp(
  `[\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f${INVISIBLE}]|${LONE_SURROGATE}`,
  'g',
);
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+!|<>~:$&]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** One value, shown on one line of a terminal: nothing in it can move the cursor, recolour or reorder. */
export function escapeTerminal(value: string): string {
  return value.replace(UNSAFE, visible);
}

/**
 * A block of our own output (several lines): as escapeTerminal, newlines kept. The last line of
 * defence at the CLI's output; values inside should already be escaped one by one.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, visible);
}

function neutralizeMentions(s: string): string {
  return s.replaceAll('@', `@${ZERO_WIDTH_JOINER}`);
}

/** A value as plain text inside a Mattermost post: no formatting, link, emoji, mention or control. */
export function escapeMarkdown(value: string): string {
  return neutralizeMentions(escapeTerminal(value).replace(MARKDOWN_SPECIAL, (c) => `\\${c}`));
}

/** A value as an inline code span of a Mattermost post, shown verbatim (controls escaped, no mention). */
export function markdownCode(value: string): string {
  const text = neutralizeMentions(escapeTerminal(value));
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space from each end of a span that starts and ends with one (unless it is
  // all spaces), and a backtick next to the fence would lengthen it: pad with a space it strips again
  const spaced = text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '';
  const pad = /^`|`$/.test(text) || spaced ? ' ' : '';
  return text === '' ? '""' : `${fence}${pad}${text}${pad}${fence}`;
}
