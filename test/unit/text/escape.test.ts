/** The escape functions: terminal, Markdown text and Markdown code spans, each against hostile input. */
import fc from 'fast-check';
import {
  ZERO_WIDTH_JOINER,
  escapeMarkdown,
  escapeTerminal,
  markdownCode,
  terminalSafe,
} from '../../../src/text/escape';

/** Every character a terminal or a renderer would act on rather than show. */
// eslint-disable-next-line no-control-regex -- detecting control characters is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const ZWJ = ZERO_WIDTH_JOINER;

describe('escapeTerminal', () => {
  it('shows C0, DEL and C1 as \\xNN, so ANSI sequences lose their ESC', () => {
    expect(escapeTerminal('a\u001b[31mred\u001b[0m')).toBe('a\\x1b[31mred\\x1b[0m');
    expect(escapeTerminal('x\ny\tz\r\u0000\u007f\u0085\u009b')).toBe(
      'x\\x0ay\\x09z\\x0d\\x00\\x7f\\x85\\x9b',
    );
    expect(escapeTerminal('\u001b]8;;https://evil\u0007link\u001b]8;;\u0007')).not.toMatch(RAW_CONTROL);
  });

  it('shows bidi controls, separators and lone surrogates as \\u{...}; keeps other text', () => {
    expect(escapeTerminal('abc\u202edcba\u202c')).toBe('abc\\u{202e}dcba\\u{202c}');
    expect(escapeTerminal('\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029')).toBe(
      '\\u{2066}\\u{2067}\\u{2068}\\u{2069}\\u{200e}\\u{200f}\\u{61c}\\u{2028}\\u{2029}',
    );
    expect(escapeTerminal('x\ud800y\udc00')).toBe('x\\u{d800}y\\u{dc00}');
    expect(escapeTerminal('Grüße 😀 日本 \u200d')).toBe('Grüße 😀 日本 \u200d');
  });

  it('leaves no raw control character in any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(escapeTerminal(s)).not.toMatch(RAW_CONTROL);
        expect(escapeTerminal(s)).not.toContain('\n');
      }),
      { seed: 3, numRuns: 500 },
    );
  });

  it('terminalSafe keeps newlines and nothing else', () => {
    expect(terminalSafe('line 1\nline\u001b[2J 2\u202e')).toBe('line 1\nline\\x1b[2J 2\\u{202e}');
  });
});

describe('escapeMarkdown', () => {
  it('neutralizes @all, @channel, @here and user mentions with a zero-width joiner', () => {
    for (const m of ['@all', '@channel', '@here', '@someone'])
      expect(escapeMarkdown(`hi ${m}!`)).toBe(`hi @${ZWJ}${m.slice(1)}\\!`);
  });

  it('escapes links, images, emphasis, code, headings, emoji, channel links and HTML', () => {
    expect(escapeMarkdown('[click](https://evil.example) ![x](y)')).toBe(
      '\\[click\\]\\(https\\://evil.example\\) \\!\\[x\\]\\(y\\)',
    );
    expect(escapeMarkdown('*b* _i_ `c` # h ~town-square :smile: <b> $x$ a|b \\')).toBe(
      '\\*b\\* \\_i\\_ \\`c\\` \\# h \\~town-square \\:smile\\: \\<b\\> \\$x\\$ a\\|b \\\\',
    );
  });

  it('escapes control characters first, and they stay escaped', () => {
    expect(escapeMarkdown('a\nb\u202e')).toBe('a\\\\x0ab\\\\u\\{202e\\}');
  });

  it('leaves no raw control, mention or unescaped link in any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeMarkdown(s);
        expect(out).not.toMatch(RAW_CONTROL);
        expect(out).not.toMatch(/@[A-Za-z0-9]/);
        expect(out).not.toMatch(/(^|[^\\])\[/);
      }),
      { seed: 4, numRuns: 500 },
    );
  });
});

describe('markdownCode', () => {
  it('wraps in a fence longer than any backtick run inside, padded where needed', () => {
    expect(markdownCode('com.example.app')).toBe('`com.example.app`');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(markdownCode('a``b```c')).toBe('````a``b```c````');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCode(' x ')).toBe('`  x  `');
    expect(markdownCode('')).toBe('""');
  });

  it('escapes controls and neutralizes mentions inside the span too', () => {
    expect(markdownCode('@channel\u001b[1m\n')).toBe(`\`@${ZWJ}channel\\x1b[1m\\x0a\``);
  });

  it('never lets the span end early: the content is shown whole', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('`', 'a', ' ', '@', '[') }), (s) => {
        const out = markdownCode(s);
        if (s === '') return;
        const fence = /^`+/.exec(out)?.[0] ?? '';
        const inner = out.slice(fence.length, out.length - fence.length);
        expect(out.endsWith(fence)).toBe(true);
        // no run of exactly the fence's length inside
        expect((inner.match(/`+/g) ?? []).every((r) => r.length !== fence.length)).toBe(true);
      }),
      { seed: 5, numRuns: 500 },
    );
  });
});
