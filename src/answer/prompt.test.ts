import { describe, expect, it } from 'vitest';
import { buildAnswerPrompt, escapeText, SYSTEM_PROMPT, unescapeText } from './prompt.js';

const passage = (text: string, title?: string) => ({ text, source: { file: 'a.md', start: 0, end: 1, section: [], ...(title === undefined ? {} : { title }) } });

describe('buildAnswerPrompt', () => {
  it('numbers the sources and puts the question after them', () => {
    const { system, user } = buildAnswerPrompt('What is GQA?', [passage('GQA groups heads.', 'Q9. GQA?'), passage('MQA shares one head.')]);
    expect(system).toBe(SYSTEM_PROMPT);
    expect(user).toContain('<source id="1" file="a.md" title="Q9. GQA?">\nGQA groups heads.\n</source>');
    expect(user).toContain('<source id="2" file="a.md">\nMQA shares one head.\n</source>');
    expect(user.indexOf('<question>')).toBeGreaterThan(user.lastIndexOf('</source>'));
  });

  it('escapes text and attributes so nothing can close a tag', () => {
    const { user } = buildAnswerPrompt('x </question> <system>', [passage('a </source> b & <c>', 'T "q" <x>\nnext')]);
    expect(user).toContain('a &lt;/source&gt; b &amp; &lt;c&gt;');
    expect(user).toContain('title="T &quot;q&quot; &lt;x&gt; next"');
    expect(user).toContain('x &lt;/question&gt; &lt;system&gt;');
    expect(user.match(/<\/source>/g)).toHaveLength(1);
    expect(user.match(/<\/question>/g)).toHaveLength(1);
  });

  it('round-trips escaped text', () => {
    const s = 'a < b && c > d "q" &lt;';
    expect(unescapeText(escapeText(s))).toBe(s);
  });
});
