// The study page: ask with a streamed, cited answer; open a citation in its context; browse
// the bank. Plain DOM, no framework, no innerHTML (the page runs under Trusted Types).
import { readEventStream } from './sse.js';

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
};

/** Creates an element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c);
  return el;
}

// ---- API access ----

const KEY_STORAGE = 'qbank-api-key';
let apiKey = sessionStorage.getItem(KEY_STORAGE) ?? '';

function headers(extra = {}) {
  return { ...extra, ...(apiKey ? { 'X-API-Key': apiKey } : {}) };
}

/** A readable message from a problem+json response. */
async function problemMessage(res) {
  try {
    const p = await res.json();
    if (res.status === 401) showKeyBox();
    if (res.status === 429) return `Too many requests; try again in ${res.headers.get('Retry-After') ?? 'a few'} s.`;
    return p.detail ?? p.title ?? `HTTP ${res.status}`;
  } catch {
    return `The server answered ${res.status}.`;
  }
}

async function getJson(path) {
  const res = await fetch(path, { headers: headers({ Accept: 'application/json' }) });
  if (!res.ok) throw new Error(await problemMessage(res));
  return res.json();
}

function showKeyBox() {
  $('key-box').hidden = false;
  $('api-key').focus();
}

$('api-key-save').addEventListener('click', () => {
  apiKey = $('api-key').value.trim();
  sessionStorage.setItem(KEY_STORAGE, apiKey);
  $('key-box').hidden = true;
  $('question').focus();
});

// ---- tabs (hash navigation) ----

const TABS = ['ask', 'browse', 'quiz'];

function showTab(focus) {
  const tab = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'ask';
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== tab;
  for (const link of document.querySelectorAll('[data-tab]')) {
    if (link.dataset.tab === tab) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (tab === 'browse') loadBrowse();
  if (focus) document.querySelector(`[data-panel="${tab}"] h1`)?.focus();
}
window.addEventListener('hashchange', () => showTab(true));

// ---- asking ----

const state = { controller: undefined, text: '', citations: new Map(), answer: undefined };

$('question').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('ask-form').requestSubmit();
  }
});

$('ask-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const question = $('question').value.trim();
  if (question) ask(question);
});

async function ask(question) {
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  state.text = '';
  state.citations = new Map();
  state.answer = undefined;

  const error = $('ask-error');
  error.hidden = true;
  $('answer').hidden = false;
  for (const id of ['sources-box', 'followups-box', 'related-box']) $(id).hidden = true;
  $('sources').replaceChildren();
  $('answer-text').replaceChildren();
  $('answer-text').setAttribute('aria-busy', 'true');
  $('answer-status').textContent = 'Searching the bank…';
  $('ask-button').disabled = true;

  const body = { question, k: Number($('k').value) };
  if ($('answerer').value !== 'extractive') body.answerer = $('answerer').value;
  if ($('ask-difficulty').value) body.filters = { difficulty: $('ask-difficulty').value };

  let finished = false;
  try {
    const res = await fetch('/v1/ask', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!res.ok || !res.body) throw new Error(await problemMessage(res));
    await readEventStream(res.body, (e) => {
      if (controller.signal.aborted) return;
      const data = JSON.parse(e.data);
      if (e.event === 'delta') {
        state.text += data.text;
        $('answer-status').textContent = 'Answering…';
      } else if (e.event === 'citation') {
        state.citations.set(data.n, data);
      } else if (e.event === 'done') {
        finished = true;
        state.answer = data;
        state.text = data.answer;
        state.citations = new Map(data.citations.map((c) => [c.n, c]));
      } else if (e.event === 'error') {
        finished = true;
        throw new Error(data.message);
      }
      renderAnswer();
    });
    if (!finished) throw new Error('The connection ended before the answer was complete.');
    renderDone(state.answer);
  } catch (err) {
    if (controller.signal.aborted) return;
    $('answer-status').textContent = state.text ? 'The answer stopped early.' : '';
    error.textContent = err instanceof Error ? err.message : String(err);
    error.hidden = false;
  } finally {
    if (state.controller === controller) {
      $('answer-text').setAttribute('aria-busy', 'false');
      $('ask-button').disabled = false;
    }
  }
}

/** The answer text with its [n] markers as buttons that open the cited passage. */
function renderAnswer() {
  const out = [];
  const re = /\[(\d+)\]/g;
  let last = 0;
  for (const m of state.text.matchAll(re)) {
    out.push(state.text.slice(last, m.index));
    out.push(citeButton(Number(m[1])));
    last = (m.index ?? 0) + m[0].length;
  }
  out.push(state.text.slice(last));
  const paragraphs = [];
  let p = h('p');
  for (const part of out) {
    if (typeof part !== 'string') {
      p.append(part);
      continue;
    }
    const pieces = part.split(/\n{2,}/);
    pieces.forEach((piece, i) => {
      if (i > 0) {
        paragraphs.push(p);
        p = h('p');
      }
      if (piece) p.append(piece);
    });
  }
  paragraphs.push(p);
  $('answer-text').replaceChildren(...paragraphs.filter((x) => x.childNodes.length > 0));
  renderSources();
}

function citeButton(n) {
  const c = state.citations.get(n);
  const label = c ? `Source ${n}: ${c.source.title ?? c.source.file}` : `Source ${n}`;
  return h('sup', {}, h('button', { type: 'button', class: 'cite', 'aria-label': label, disabled: !c, onclick: (e) => c && openCitation(c, e.currentTarget) }, String(n)));
}

function renderSources() {
  const list = [...state.citations.values()].sort((a, b) => a.n - b.n);
  $('sources-box').hidden = list.length === 0;
  $('sources').replaceChildren(
    ...list.map((c) =>
      h(
        'li',
        { value: c.n },
        h(
          'button',
          { type: 'button', class: 'source', onclick: (e) => openCitation(c, e.currentTarget) },
          h('q', {}, clip(c.quote, 220)),
          h('span', { class: 'where' }, whereOf(c.source), c.verified ? h('span', { class: 'badge ok', title: 'The quote is an exact span of the file' }, '✓ verified') : h('span', { class: 'badge' }, 'unverified')),
        ),
      ),
    ),
  );
}

function renderDone(answer) {
  if (!answer) return;
  const n = answer.citations.length;
  $('answer-status').textContent = answer.abstained
    ? 'Try one of the nearest questions the bank does cover, below.'
    : `${answer.answerer === 'llm' ? 'Written by the language model' : 'Quoted from the bank'}: ${n} source${n === 1 ? '' : 's'}, ${Math.round(answer.timings.totalMs ?? 0)} ms.`;
  chipList('followups', answer.followUps.map((q) => ({ text: q, onclick: () => askAgain(q) })));
  chipList('related', answer.related.map((r) => ({ text: r.title, onclick: () => askAgain(r.title.replace(/^Q\d+\.\s*/, '')) })));
}

function chipList(id, items) {
  $(`${id}-box`).hidden = items.length === 0;
  $(id).replaceChildren(...items.map((i) => h('li', {}, h('button', { type: 'button', class: 'chip', onclick: i.onclick }, i.text))));
}

function askAgain(question) {
  if (location.hash !== '#ask') location.hash = '#ask';
  $('question').value = question;
  ask(question);
  $('question').focus();
}

// ---- the citation panel ----

let opener;

async function openCitation(c, from) {
  await showPassage(c.id, { start: c.source.start, end: c.source.end }, from);
}

/** Opens the dialog on a chunk in its context, the span [start, end) of the file highlighted. */
async function showPassage(id, span, from) {
  opener = from;
  const dialog = $('citation-dialog');
  $('citation-title').textContent = 'Loading…';
  $('citation-where').textContent = '';
  $('citation-context').replaceChildren();
  if (!dialog.open) dialog.showModal();
  try {
    const { chunk, context } = await getJson(`/v1/chunks/${encodeURIComponent(id)}?context=600`);
    $('citation-title').textContent = chunk.title ?? chunk.section.at(-1) ?? chunk.file;
    $('citation-where').textContent = whereOf(chunk);
    const text = context.before + context.passage + context.after;
    const base = context.start;
    const ps = context.before.length;
    const pe = ps + context.passage.length;
    let qs = (span?.start ?? chunk.start) - base;
    let qe = (span?.end ?? chunk.end) - base;
    if (qs < 0 || qe > text.length || qs >= qe) [qs, qe] = [ps, pe];
    const cuts = [...new Set([0, ps, pe, qs, qe, text.length])].filter((x) => x >= 0 && x <= text.length).sort((a, b) => a - b);
    const nodes = [];
    if (context.start > 0) nodes.push('… ');
    for (let i = 0; i < cuts.length - 1; i++) {
      const a = cuts[i];
      const b = cuts[i + 1];
      const piece = text.slice(a, b);
      if (a >= qs && b <= qe) nodes.push(h('mark', {}, piece));
      else if (a >= ps && b <= pe) nodes.push(h('span', { class: 'passage' }, piece));
      else nodes.push(piece);
    }
    if (context.end < context.start + text.length || context.after.length > 0) nodes.push(' …');
    $('citation-context').replaceChildren(...nodes);
    $('citation-context').querySelector('mark')?.scrollIntoView({ block: 'center' });
  } catch (err) {
    $('citation-title').textContent = 'The passage could not be loaded';
    $('citation-where').textContent = err instanceof Error ? err.message : String(err);
  }
}

$('citation-close').addEventListener('click', () => $('citation-dialog').close());
// A click on the backdrop (the dialog box itself, outside its content) closes it too.
$('citation-dialog').addEventListener('click', (e) => {
  if (e.target === e.currentTarget) {
    const r = e.currentTarget.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) e.currentTarget.close();
  }
});
$('citation-dialog').addEventListener('close', () => opener?.focus());

function whereOf(s) {
  const section = s.section?.length ? ` › ${s.section.join(' › ')}` : '';
  return `${s.file}${section}`;
}

function clip(text, max) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).replace(/\s+\S*$/, '')}…`;
}

// ---- browsing ----

const browse = { loaded: false, offset: 0, limit: 20, total: 0, timer: undefined };

async function loadBrowse() {
  if (!browse.loaded) {
    browse.loaded = true;
    await refreshQuestions(true);
  }
}

async function refreshQuestions(fillFacets = false) {
  const params = new URLSearchParams({ limit: String(browse.limit), offset: String(browse.offset) });
  for (const [name, id] of [['category', 'f-category'], ['difficulty', 'f-difficulty'], ['lang', 'f-lang'], ['q', 'f-q']]) {
    const v = $(id).value.trim();
    if (v) params.set(name, v);
  }
  try {
    const page = await getJson(`/v1/questions?${params}`);
    if (fillFacets) {
      fillSelect('f-category', page.facets.categories);
      fillSelect('f-difficulty', page.facets.difficulties);
      fillSelect('f-lang', page.facets.langs);
    }
    browse.total = page.total;
    const from = page.total === 0 ? 0 : page.offset + 1;
    const to = page.offset + page.questions.length;
    $('browse-count').textContent = page.total === 0 ? 'No questions match.' : `Questions ${from}–${to} of ${page.total}`;
    $('page').textContent = page.total === 0 ? '' : `Page ${Math.floor(page.offset / browse.limit) + 1} of ${Math.ceil(page.total / browse.limit)}`;
    $('prev').disabled = page.offset === 0;
    $('next').disabled = to >= page.total;
    $('questions').replaceChildren(...page.questions.map(questionItem));
  } catch (err) {
    $('browse-count').textContent = err instanceof Error ? err.message : String(err);
  }
}

function questionItem(q) {
  const title = q.title.replace(/^Q\d+\.\s*/, '');
  return h(
    'li',
    { class: 'question' },
    h('p', { class: 'q-title' }, title),
    h(
      'p',
      { class: 'q-meta' },
      h('span', { class: 'tag' }, q.category || 'Uncategorised'),
      q.difficulty ? h('span', { class: `tag level-${q.difficulty.toLowerCase()}` }, q.difficulty) : null,
      q.roles?.length ? h('span', { class: 'roles' }, q.roles.join(' · ')) : null,
    ),
    h(
      'p',
      { class: 'q-actions' },
      h('button', { type: 'button', onclick: () => askAgain(title), 'aria-label': `Ask: ${title}` }, 'Ask this'),
      h('button', { type: 'button', onclick: (e) => showPassage(q.id, undefined, e.currentTarget), 'aria-label': `Read the bank's answer to: ${title}` }, 'Read the answer'),
    ),
  );
}

function fillSelect(id, facet) {
  const select = $(id);
  const first = select.options[0];
  select.replaceChildren(first, ...facet.map((f) => h('option', { value: f.value }, `${f.value} (${f.count})`)));
}

$('browse-form').addEventListener('submit', (e) => e.preventDefault());
$('browse-form').addEventListener('change', () => {
  browse.offset = 0;
  refreshQuestions();
});
$('f-q').addEventListener('input', () => {
  clearTimeout(browse.timer);
  browse.timer = setTimeout(() => {
    browse.offset = 0;
    refreshQuestions();
  }, 250);
});
$('prev').addEventListener('click', () => {
  browse.offset = Math.max(0, browse.offset - browse.limit);
  refreshQuestions();
});
$('next').addEventListener('click', () => {
  browse.offset += browse.limit;
  refreshQuestions();
});

// ---- start ----

getJson('/readyz')
  .then((r) => {
    if (r.answerers.includes('llm')) {
      const o = $('answerer').querySelector('option[value="llm"]');
      o.disabled = false;
      o.textContent = 'Language model';
    }
  })
  .catch(() => undefined);

showTab(false);
