/**
 * The enclosing scopes of a position in source code, outermost first: the lines above it that
 * are less indented than the code there, e.g. `["class ColumnTuple : public Column",
 * "void Append(ColumnRef column)"]`. A chunk cut from the middle of a class does not say which
 * class it belongs to; these lines, as the chunk's section path, do. Indentation marks scope
 * in every common language, so no parser is needed; lines that say nothing about a scope
 * (comments, closing brackets, `public:`, `else`) are passed over, and control-flow lines
 * (`if`, `for`, …) narrow the scope without being named.
 *
 * @example
 * enclosingScopes('class A {\n  int f() {\n    return 1;\n  }\n}', 26) // ['class A', 'int f()']
 */
export function enclosingScopes(source: string, offset: number, maxScopes = 4): string[] {
  let indent = firstIndent(source.slice(offset, offset + 4000));
  if (indent === undefined) return [];
  const out: string[] = [];
  let end = offset;
  while (indent > 0 && end > 0 && out.length < maxScopes) {
    const start = source.lastIndexOf('\n', end - 1) + 1;
    const line = source.slice(start, end);
    end = Math.max(0, start - 1);
    if (!isSignificant(line)) continue;
    const w = indentOf(line);
    if (w >= indent) continue;
    indent = w;
    if (CONTROL.test(line)) continue;
    const scope = scopeText(line);
    if (/\p{L}/u.test(scope)) out.push(scope);
  }
  return out.reverse();
}

/**
 * The names a file declares at its top level (classes, structs, functions, namespaces…), in
 * order, at most `max`: what a chunk of top-level code — imports, a licence, free functions —
 * belongs to when no scope encloses it.
 *
 * @example
 * topLevelNames('import x\n\nclass Base69(Decoder):\n    def decode(self): ...\n') // ['Base69']
 */
export function topLevelNames(source: string, max = 3): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(TOP_LEVEL_DECLARATION)) {
    if (m[1]) names.add(m[1]);
    if (names.size >= max) break;
  }
  return [...names];
}

/** A declaration at the start of a line, after modifiers: `pub struct X`, `export function f`, `public final class C`. */
const TOP_LEVEL_DECLARATION =
  /^(?:(?:export|default|pub(?:\(\w+\))?|public|private|protected|final|abstract|static|sealed|data|async|inline)\s+)*(?:class|struct|interface|enum|trait|def|fn|func|function|namespace|module|record|object)\s+([\p{L}_$][\p{L}\p{N}_$]*)/gmu;

/** Lines that open no scope of their own: blank, comments, brackets, access labels, annotations, string delimiters. */
const INSIGNIFICANT = /^(?:$|\/\/|\/\*|\*|#|--|;|@|\[\[|[{}\])]|["'`]{3}|(?:public|private|protected|internal|where|else|default|finally|try|do)\b\s*:?\s*\{?\s*$)/;

/** Control flow inside a function: it narrows the scope but is not worth naming. */
const CONTROL = /^\s*(?:if|else|elif|for|foreach|while|switch|case|match|loop|try|catch|except|finally|with|return|do|unless|until)\b/;

function isSignificant(line: string): boolean {
  return !INSIGNIFICANT.test(line.trim());
}

function firstIndent(text: string): number | undefined {
  for (const line of text.split('\n')) if (isSignificant(line)) return indentOf(line);
  return undefined;
}

function indentOf(line: string): number {
  let w = 0;
  for (const c of line) {
    if (c === ' ') w++;
    else if (c === '\t') w += 4;
    else break;
  }
  return w;
}

/** A declaration line without its opening bracket or colon, on one line, at most 120 characters. */
function scopeText(line: string): string {
  const t = line
    .trim()
    .replace(/\s*(?:\{|:|=>|->\s*\{?)\s*$/, '')
    .replace(/\s+/g, ' ');
  return t.length > 120 ? `${t.slice(0, 119)}…` : t;
}
