import { describe, expect, it } from 'vitest';
import { documentTitle } from './document-title.js';

describe('documentTitle', () => {
  it('prefers the front matter title', () => {
    expect(documentTitle('---\nlang: de\ntitle: "Interviewfragen 2025"\n---\n# Other\n', 'a.md')).toBe('Interviewfragen 2025');
  });
  it('takes the first # heading', () => {
    expect(documentTitle('# Theory Questions\n\nBased on …', 'b.md')).toBe('Theory Questions');
  });
  it('skips web-page chrome and short lines in plain text', () => {
    expect(documentTitle('Skip to content\n\n50 LLM and AI Engineer Interview Questions for 2026\n\nDS\n', 'c.txt')).toBe('50 LLM and AI Engineer Interview Questions for 2026');
  });
  it('falls back to the file name', () => {
    expect(documentTitle('a\nb\n', 'd.txt')).toBe('d.txt');
  });
});
