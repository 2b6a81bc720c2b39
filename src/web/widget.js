// <qbank-ask>: an embeddable ask box with a streamed, cited answer.
//
//   <script src="http://127.0.0.1:8787/widget.js"></script>
//   <qbank-ask></qbank-ask>
//
// Attributes: api (base URL; default: the origin this script came from), api-key (only for
// private deployments: a key in a public page is public), placeholder, k.
// Theming: --qbank-accent, --qbank-font, --qbank-bg, --qbank-fg, --qbank-muted,
// --qbank-border, --qbank-radius, --qbank-mark; parts: form, input, button, answer, sources.
// The page that embeds it must be listed in the server's QBANK_CORS_ORIGINS.
(() => {
  'use strict';
  if (customElements.get('qbank-ask')) return;

  const scriptOrigin = (() => {
    try {
      return new URL(document.currentScript?.src ?? '', location.href).origin;
    } catch {
      return location.origin;
    }
  })();

  const CSS = `
:host {
  --_accent: var(--qbank-accent, #4338ca);
  --_font: var(--qbank-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --_bg: var(--qbank-bg, #ffffff);
  --_fg: var(--qbank-fg, #1f2937);
  --_muted: var(--qbank-muted, #5b6472);
  --_border: var(--qbank-border, #d9dbe3);
  --_radius: var(--qbank-radius, 10px);
  --_mark: var(--qbank-mark, #fde68a);
  display: block;
  font-family: var(--_font);
  color: var(--_fg);
  line-height: 1.5;
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.box { border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_bg); padding: 0.9rem; }
label { display: block; font-weight: 600; margin-bottom: 0.35rem; }
.row { display: flex; gap: 0.5rem; flex-wrap: wrap; }
input { flex: 1 1 12rem; min-width: 0; font: inherit; color: inherit; background: var(--_bg); border: 1px solid var(--_border); border-radius: var(--_radius); padding: 0.5rem 0.65rem; }
button { font: inherit; cursor: pointer; border-radius: var(--_radius); border: 1px solid var(--_accent); background: var(--_accent); color: var(--_bg); font-weight: 600; padding: 0.5rem 0.9rem; }
button:disabled { opacity: 0.6; cursor: default; }
:focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
.answer { margin: 0.75rem 0 0; }
.answer p { margin: 0 0 0.6rem; }
.status { color: var(--_muted); font-size: 0.85em; margin: 0.25rem 0 0; }
.error { color: #b91c1c; margin: 0.5rem 0 0; }
button.cite { padding: 0 0.3rem; font-size: 0.72em; line-height: 1.35; min-width: 1.3rem; background: transparent; color: var(--_accent); border-color: var(--_border); }
sup { line-height: 0; }
ol { margin: 0.5rem 0 0; padding-left: 1.4rem; font-size: 0.9em; }
li { margin: 0.3rem 0; }
li.current blockquote { background: var(--_mark); }
blockquote { margin: 0.15rem 0; padding: 0.2rem 0.5rem; border-left: 3px solid var(--_accent); border-radius: 3px; }
.where { color: var(--_muted); font-size: 0.85em; overflow-wrap: anywhere; }
[hidden] { display: none !important; }
`;

  let sheet;
  function styles(root) {
    if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
      // A constructed sheet works under a host page's strict style-src; a <style> element would not.
      sheet ??= new CSSStyleSheet();
      if (!sheet.cssRules.length) sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement('style');
      style.textContent = CSS;
      root.append(style);
    }
  }

  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : String(v));
    e.append(...children.filter((c) => c !== undefined && c !== null));
    return e;
  }

  /** The text/event-stream parser, as in the study page's sse.js. */
  async function readEvents(body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let data = [];
    let event = '';
    let sawCr = false;
    const line = (l) => {
      if (l === '') {
        if (data.length) onEvent({ event: event || 'message', data: data.join('\n') });
        data = [];
        event = '';
      } else if (!l.startsWith(':')) {
        const i = l.indexOf(':');
        const field = i < 0 ? l : l.slice(0, i);
        let value = i < 0 ? '' : l.slice(i + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
      }
    };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let text = value;
      if (sawCr && text.startsWith('\n')) text = text.slice(1);
      sawCr = text.endsWith('\r');
      buffer += text;
      const parts = buffer.split(/\r\n|\r|\n/);
      buffer = parts.pop() ?? '';
      parts.forEach(line);
    }
    if (buffer) line(buffer);
  }

  let counter = 0;

  class QbankAsk extends HTMLElement {
    static get observedAttributes() {
      return ['placeholder'];
    }

    constructor() {
      super();
      const id = `qbank-q-${++counter}`;
      const root = this.attachShadow({ mode: 'open' });
      styles(root);
      this._input = el('input', { id, type: 'text', part: 'input', maxlength: 2000, required: true, autocomplete: 'off', placeholder: this.getAttribute('placeholder') ?? 'e.g. explain GQA vs MQA' });
      this._button = el('button', { type: 'submit', part: 'button' }, 'Ask');
      this._form = el('form', { part: 'form' }, el('label', { for: id }, this.getAttribute('label') ?? 'Ask the interview bank'), el('div', { class: 'row' }, this._input, this._button));
      this._text = el('div', { class: 'answer', part: 'answer', 'aria-live': 'polite', 'aria-busy': 'false' });
      this._status = el('p', { class: 'status', role: 'status' });
      this._error = el('p', { class: 'error', role: 'alert', hidden: true });
      this._sources = el('ol', { part: 'sources', 'aria-label': 'Sources', hidden: true });
      root.append(el('div', { class: 'box' }, this._form, this._error, this._text, this._status, this._sources));
      this._form.addEventListener('submit', (e) => {
        e.preventDefault();
        const q = this._input.value.trim();
        if (q) this.ask(q);
      });
    }

    attributeChangedCallback(name, _old, value) {
      if (name === 'placeholder' && this._input && value) this._input.placeholder = value;
    }

    disconnectedCallback() {
      this._controller?.abort();
    }

    get api() {
      return (this.getAttribute('api') || scriptOrigin).replace(/\/+$/, '');
    }

    /** Asks a question and streams the answer into the element. Resolves with the answer, or undefined. */
    async ask(question) {
      this._controller?.abort();
      const controller = new AbortController();
      this._controller = controller;
      this._input.value = question;
      this._error.hidden = true;
      this._sources.hidden = true;
      this._sources.replaceChildren();
      this._text.replaceChildren();
      this._text.setAttribute('aria-busy', 'true');
      this._status.textContent = 'Searching…';
      this._button.disabled = true;
      let text = '';
      const citations = new Map();
      let answer;
      const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
      const key = this.getAttribute('api-key');
      if (key) headers['X-API-Key'] = key;
      const k = Number(this.getAttribute('k'));
      try {
        const res = await fetch(`${this.api}/v1/ask`, {
          method: 'POST',
          headers,
          body: JSON.stringify(k >= 1 && k <= 20 ? { question, k } : { question }),
          signal: controller.signal,
          credentials: 'omit',
        });
        if (!res.ok || !res.body) {
          let detail = `The server answered ${res.status}.`;
          try {
            detail = (await res.json()).detail ?? detail;
          } catch {}
          throw new Error(detail);
        }
        await readEvents(res.body, (e) => {
          const data = JSON.parse(e.data);
          if (e.event === 'delta') text += data.text;
          else if (e.event === 'citation') citations.set(data.n, data);
          else if (e.event === 'done') {
            answer = data;
            text = data.answer;
            for (const c of data.citations) citations.set(c.n, c);
          } else if (e.event === 'error') throw new Error(data.message);
          this._render(text, citations);
        });
        if (!answer) throw new Error('The answer ended early.');
        this._status.textContent = answer.abstained ? 'The bank does not cover this question.' : `${answer.citations.length} source${answer.citations.length === 1 ? '' : 's'} quoted from the bank.`;
        this.dispatchEvent(new CustomEvent('qbank-answer', { detail: answer, bubbles: true, composed: true }));
        return answer;
      } catch (err) {
        if (controller.signal.aborted) return undefined;
        this._status.textContent = '';
        this._error.textContent = err instanceof Error ? err.message : String(err);
        this._error.hidden = false;
        return undefined;
      } finally {
        if (this._controller === controller) {
          this._text.setAttribute('aria-busy', 'false');
          this._button.disabled = false;
        }
      }
    }

    _render(text, citations) {
      const paragraphs = text.split(/\n{2,}/).map((para) => {
        const p = el('p');
        let last = 0;
        for (const m of para.matchAll(/\[(\d+)\]/g)) {
          p.append(para.slice(last, m.index));
          const n = Number(m[1]);
          const b = el('button', { type: 'button', class: 'cite', 'aria-label': `Source ${n}` }, String(n));
          b.addEventListener('click', () => this._showSource(n));
          p.append(el('sup', {}, b));
          last = (m.index ?? 0) + m[0].length;
        }
        p.append(para.slice(last));
        return p;
      });
      this._text.replaceChildren(...paragraphs.filter((p) => p.textContent.trim()));
      const list = [...citations.values()].sort((a, b) => a.n - b.n);
      this._sources.hidden = list.length === 0;
      this._sources.replaceChildren(
        ...list.map((c) =>
          el('li', { value: c.n, id: `src-${c.n}`, tabindex: -1 }, el('blockquote', {}, c.quote), el('span', { class: 'where' }, [c.source.title, c.source.file].filter(Boolean).join(' — '))),
        ),
      );
    }

    _showSource(n) {
      for (const li of this._sources.children) li.classList.toggle('current', li.id === `src-${n}`);
      const li = this.shadowRoot.getElementById(`src-${n}`);
      li?.scrollIntoView({ block: 'nearest' });
      li?.focus();
    }
  }

  customElements.define('qbank-ask', QbankAsk);
})();
