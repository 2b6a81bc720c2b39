/**
 * A readable title for a corpus document: its front matter `title`, else its first `#`
 * heading, else its first line of a few words that is not web-page chrome ("Skip to
 * content"), else the file name.
 *
 * @example
 * documentTitle('---\ntitle: Senior AI Engineer Interview Questions\n---\n…', 'x.md') // 'Senior AI Engineer Interview Questions'
 */
export function documentTitle(text: string, file: string): string {
  const head = text.slice(0, 4000);
  const front = head.match(/^---\r?\n([^]*?)\r?\n---/);
  const declared = front?.[1]?.match(/^title:\s*(.+?)\s*$/m)?.[1];
  if (declared) return unquote(declared);
  const heading = head.match(/^#\s+(.+?)\s*#*\s*$/m)?.[1];
  if (heading) return heading;
  for (const raw of head.split(/\r?\n/).slice(0, 30)) {
    const line = raw.trim();
    if (/^skip to\b/i.test(line) || line.split(/\s+/).length < 3) continue;
    return line.length > 120 ? `${line.slice(0, 119)}…` : line;
  }
  return file;
}

function unquote(s: string): string {
  return s.replace(/^(["'])(.*)\1$/, '$2');
}
