import type { OpenApiDocument, Operation } from './openapi.js';
import { PROBLEM_CODES } from './problem.js';

/**
 * The API reference as one self-contained HTML page rendered from the OpenAPI document: no
 * script, no CDN, styled by `/assets/docs.css` (allowed by the page's CSP).
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const ops: { path: string; method: string; op: Operation }[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) ops.push({ path, method, op });
  const nav = ops.map(({ path, method, op }) => `<li><a href="#op-${esc(op.operationId)}"><span class="m m-${method}">${method.toUpperCase()}</span> ${esc(path)}</a></li>`).join('\n');
  const body = ops.map(({ path, method, op }) => operation(path, method, op)).join('\n');
  const schemas = Object.entries(doc.components.schemas)
    .map(([id, s]) => `<section id="schema-${esc(id)}" class="schema"><h3>${esc(id)}</h3>${s['description'] ? `<p>${esc(String(s['description']))}</p>` : ''}<pre><code>${linkRefs(esc(JSON.stringify(s, null, 2)))}</code></pre></section>`)
    .join('\n');
  const problems = Object.entries(PROBLEM_CODES)
    .map(([code, p]) => `<tr id="problem-${esc(code)}"><td><code>${esc(code)}</code></td><td>${p.status}</td><td>${esc(p.when)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} — reference</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/docs.css">
</head>
<body>
<a class="skip" href="#main">Skip to the reference</a>
<header><h1>${esc(doc.info.title)} <small>v${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description)}</p>
<p><a href="/">Study page</a> · <a href="/openapi.json">openapi.json</a> (OpenAPI ${esc(doc.openapi)})</p></header>
<div class="layout">
<nav aria-label="Routes"><h2>Routes</h2><ul>${nav}</ul><h2>More</h2><ul><li><a href="#auth">Keys, limits, CORS</a></li><li><a href="#problems">Errors</a></li><li><a href="#schemas">Schemas</a></li></ul></nav>
<main id="main">
${body}
<section id="auth"><h2>Keys, limits, CORS</h2>
<p>When the server has an API key (<code>QBANK_API_KEY</code>), every <code>/v1/*</code> request sends it as <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key: &lt;key&gt;</code>; otherwise the answer is 401.</p>
<p>Each client (its API key, else its address) has a token bucket: <code>QBANK_RATE_LIMIT_PER_MIN</code> requests a minute with bursts of <code>QBANK_RATE_LIMIT_BURST</code>. Past it the answer is 429 with <code>Retry-After</code>.</p>
<p>Browsers on other sites (the <code>&lt;qbank-ask&gt;</code> widget) may call the API only from the origins in <code>QBANK_CORS_ORIGINS</code>. Request bodies are JSON of at most <code>QBANK_BODY_LIMIT_BYTES</code> (64 KiB).</p>
<p>Repeated searches and extractive answers come from a cache (<code>X-Cache: hit</code>) that is emptied when the index changes; <code>QBANK_RESPONSE_CACHE_ENTRIES=0</code> turns it off.</p>
</section>
<section id="problems"><h2>Errors</h2>
<p>Every error is <code>application/problem+json</code>: <code>{type, title, status, detail, code}</code>, plus <code>field</code> and <code>errors</code> for invalid input and <code>requestId</code> to quote in a report. A streamed answer that fails ends with an <code>event: error</code> frame carrying <code>{code, message, status}</code>.</p>
<table><thead><tr><th>code</th><th>status</th><th>when</th></tr></thead><tbody>${problems}</tbody></table>
</section>
<section id="schemas"><h2>Schemas</h2>${schemas}</section>
</main>
</div>
</body>
</html>
`;
}

function operation(path: string, method: string, op: Operation): string {
  const params = op.parameters?.length
    ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>${op.parameters
        .map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <em>required</em>' : ''}</td><td>${p.in}</td><td><code>${esc(typeOf(p.schema))}</code></td><td>${esc(p.description ?? '')}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const request = op.requestBody
    ? `<h4>Request body</h4>${Object.entries(op.requestBody.content)
        .map(([type, c]) => `<p><code>${esc(type)}</code>: ${schemaLink(c.schema)}</p>${c.example ? `<pre><code>${esc(JSON.stringify(c.example, null, 2))}</code></pre>` : ''}`)
        .join('')}`
    : '';
  const responses = `<h4>Responses</h4><ul>${Object.entries(op.responses)
    .map(([status, r]) => {
      const content = r.content ? Object.entries(r.content).map(([type, c]) => ` <code>${esc(type)}</code> ${schemaLink(c.schema)}`).join(',') : '';
      const headers = r.headers ? ` Headers: ${Object.keys(r.headers).map((h) => `<code>${esc(h)}</code>`).join(', ')}.` : '';
      return `<li><strong>${esc(status)}</strong> ${esc(r.description)}${content}${headers}</li>`;
    })
    .join('')}</ul>`;
  const events = op['x-sse-events']
    ? `<h4>Stream events</h4><ul>${Object.entries(op['x-sse-events'])
        .map(([name, s]) => `<li><code>event: ${esc(name)}</code> — data: ${schemaLink(s)}</li>`)
        .join('')}</ul>`
    : '';
  const auth = op.security ? '<p class="auth">Needs the API key.</p>' : '';
  return `<section class="op" id="op-${esc(op.operationId)}"><h3><span class="m m-${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p class="summary">${esc(op.summary)}</p>${op.description ? `<p>${code(esc(op.description))}</p>` : ''}${auth}${params}${request}${responses}${events}</section>`;
}

function schemaLink(schema: Record<string, unknown>): string {
  const r = schema['$ref'];
  if (typeof r === 'string') {
    const id = r.replace('#/components/schemas/', '');
    return `<a href="#schema-${esc(id)}">${esc(id)}</a>`;
  }
  return `<code>${esc(typeOf(schema))}</code>`;
}

function typeOf(schema: Record<string, unknown>): string {
  const t = schema['type'];
  if (typeof t === 'string') {
    const min = schema['minimum'];
    const max = schema['maximum'];
    const def = schema['default'];
    return `${t}${min !== undefined && max !== undefined ? ` ${String(min)}–${String(max)}` : ''}${def !== undefined ? ` = ${JSON.stringify(def)}` : ''}`;
  }
  return 'object';
}

function linkRefs(escapedJson: string): string {
  return escapedJson.replace(/&quot;#\/components\/schemas\/(\w+)&quot;/g, (_, id: string) => `&quot;<a href="#schema-${id}">#/components/schemas/${id}</a>&quot;`);
}

function code(escaped: string): string {
  return escaped.replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** HTML-escapes text for element content and quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);
}
