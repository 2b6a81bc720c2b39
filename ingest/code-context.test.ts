import { describe, expect, it } from 'vitest';
import { enclosingScopes, topLevelNames } from './code-context.js';

const at = (source: string, marker: string) => enclosingScopes(source, source.indexOf(marker));

describe('enclosingScopes', () => {
  it('names the class and method around a chunk of C++', () => {
    const src = ['namespace ch {', '', 'class ColumnTuple : public Column {', 'public:', '    /// Appends', '    void Append(ColumnRef c) {', '        columns_.push_back(c);', '    }', '};', '}'].join('\n');
    expect(at(src, '        columns_')).toEqual(['class ColumnTuple : public Column', 'void Append(ColumnRef c)']);
    // A chunk starting at a comment or label takes the scope of the code under it.
    expect(at(src, '    /// Appends')).toEqual(['class ColumnTuple : public Column']);
    expect(at(src, 'public:')).toEqual(['class ColumnTuple : public Column']);
  });
  it('reads Python by indentation and skips control flow and docstrings', () => {
    const src = ['class Base69(Decoder[str]):', '    def decode(self, ctext):', '        """', '        Decodes.', '        """', '        for i in range(3):', '            if i:', '                x = 1'].join('\n');
    expect(at(src, '                x = 1')).toEqual(['class Base69(Decoder[str])', 'def decode(self, ctext)']);
  });
  it('has nothing to say about top-level code', () => {
    expect(at('use std::io;\nfn main() {}\n', 'fn main')).toEqual([]);
    expect(enclosingScopes('', 0)).toEqual([]);
  });
  it('skips Rust where-clauses and Java annotations', () => {
    const src = ['impl<A> Executor for Diff<A>', 'where', '    A: Executor,', '{', '    #[inline]', '    fn run(&mut self) {', '        go();', '    }', '}'].join('\n');
    expect(at(src, '        go()')).toEqual(['impl<A> Executor for Diff<A>', 'fn run(&mut self)']);
    const java = ['public class HashTest {', '  @Test', '  public void testHash() {', '    assertTrue(true);', '  }', '}'].join('\n');
    expect(at(java, '    assertTrue')).toEqual(['public class HashTest', 'public void testHash()']);
  });
});

describe('topLevelNames', () => {
  it('lists what a file declares at its top level, in order, without repeats', () => {
    const src = ['namespace clickhouse {', 'class ColumnTuple : public Column {', '  class Inner {};', '};', 'template <typename T>', 'class ColumnTupleT : public ColumnTuple {};', 'class ColumnTuple;', '}'].join('\n');
    expect(topLevelNames(src)).toEqual(['clickhouse', 'ColumnTuple', 'ColumnTupleT']);
    expect(topLevelNames(src, 1)).toEqual(['clickhouse']);
    expect(topLevelNames('pub(crate) struct Diff<A> {}\nimpl<A> Diff<A> {}\npub fn run() {}\nexport default function main() {}')).toEqual(['Diff', 'run', 'main']);
    expect(topLevelNames('import os\nx = 1\n')).toEqual([]);
  });
});
