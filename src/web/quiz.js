// The Quiz tab of the study page: flash cards from the bank. Shows a question, grades the typed
// answer (POST /v1/grade), then reveals the covered and missed key points with their quotes and
// sources, the model answer and the follow-ups. Progress per category stays in localStorage and is
// drawn as inline SVG bars. Plain DOM, no innerHTML (the page runs under Trusted Types).

const PROGRESS_KEY = 'qbank-quiz-progress';
const KEY_STORAGE = 'qbank-api-key';
/** Seen ids sent as `exclude`, newest kept (the API takes up to 2000). */
const MAX_SEEN = 500;
const SVG = 'http://www.w3.org/2000/svg';

const root = document.getElementById('quiz-root');

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

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

// ---- progress in localStorage ----

/** { version: 1, seen: string[], categories: { [name]: { answered, total, best } } } */
function loadProgress() {
  try {
    const p = JSON.parse(localStorage.getItem(PROGRESS_KEY) ?? 'null');
    if (p && p.version === 1 && Array.isArray(p.seen) && p.categories && typeof p.categories === 'object') return p;
  } catch {
    // Unreadable or blocked storage: start afresh.
  }
  return { version: 1, seen: [], categories: {} };
}

function saveProgress(p) {
  try {
    localStorage.setItem(PROGRESS_KEY, JSON.stringify(p));
  } catch {
    // Private mode or full storage: progress lasts for this page only.
  }
}

let progress = loadProgress();

function recordSeen(id) {
  progress.seen = [...progress.seen.filter((x) => x !== id), id].slice(-MAX_SEEN);
  saveProgress(progress);
}

function recordScore(category, score) {
  const c = progress.categories[category] ?? { answered: 0, total: 0, best: 0 };
  c.answered += 1;
  c.total += score;
  c.best = Math.max(c.best, score);
  progress.categories[category] = c;
  saveProgress(progress);
}

/** The category a card counts toward: the question's own heading. */
function categoryOf(q) {
  return q.section?.at(-1) || q.category || 'Uncategorised';
}

// ---- API ----

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE) ?? '';
  return { Accept: 'application/json', ...extra, ...(key ? { 'X-API-Key': key } : {}) };
}

async function call(path, init = {}) {
  const res = await fetch(path, { ...init, headers: headers(init.headers) });
  if (res.ok) return res.json();
  let message = `The server answered ${res.status}.`;
  try {
    const p = await res.json();
    if (res.status === 429) message = `Too many requests; try again in ${res.headers.get('Retry-After') ?? 'a few'} s.`;
    else if (res.status === 401) message = 'This server needs an API key: enter it under Ask › the key box, then come back.';
    else message = p.detail ?? p.title ?? message;
  } catch {
    // Not problem+json: keep the status line.
  }
  throw new Error(message);
}

// ---- the page ----

const ui = {};
const state = { question: undefined, grading: false, started: false };

function build() {
  const categories = h('datalist', { id: 'quiz-categories' });
  ui.category = h('input', { id: 'quiz-category', name: 'category', type: 'search', list: 'quiz-categories', placeholder: 'any, e.g. RAG', autocomplete: 'off' });
  ui.difficulty = h('select', { id: 'quiz-difficulty', name: 'difficulty' }, h('option', { value: '' }, 'Any'), h('option', {}, 'Easy'), h('option', {}, 'Medium'), h('option', {}, 'Hard'));
  ui.lang = h('select', { id: 'quiz-lang', name: 'lang' }, h('option', { value: '' }, 'Any'), h('option', { value: 'en' }, 'English'), h('option', { value: 'de' }, 'German'));
  ui.answered = h('input', { id: 'quiz-answered', name: 'answered', type: 'checkbox', checked: true });
  ui.categories = categories;
  const filters = h(
    'form',
    { class: 'quiz-filters', id: 'quiz-filters', 'aria-label': 'Which questions', onsubmit: (e) => { e.preventDefault(); next(); } },
    h('label', { for: 'quiz-category' }, 'Category', ui.category),
    categories,
    h('label', { for: 'quiz-difficulty' }, 'Difficulty', ui.difficulty),
    h('label', { for: 'quiz-lang' }, 'Language', ui.lang),
    h('label', { for: 'quiz-answered', class: 'check' }, ui.answered, 'Only questions with a model answer'),
  );
  for (const el of [ui.difficulty, ui.lang, ui.answered]) el.addEventListener('change', () => next());
  ui.category.addEventListener('change', () => next());

  ui.meta = h('p', { class: 'q-meta' });
  ui.title = h('h2', { id: 'quiz-question', class: 'quiz-question', tabindex: '-1' }, 'Loading a question…');
  ui.note = h('p', { class: 'hint', hidden: true });
  ui.answer = h('textarea', { id: 'quiz-answer', name: 'answer', rows: '6', maxlength: '5000', 'aria-describedby': 'quiz-answer-hint', placeholder: 'Answer as you would in the interview.' });
  ui.grade = h('button', { type: 'submit', id: 'quiz-grade', class: 'primary' }, 'Grade');
  ui.skip = h('button', { type: 'button', id: 'quiz-skip', onclick: () => skip() }, 'Skip');
  ui.error = h('p', { id: 'quiz-error', class: 'error', role: 'alert', hidden: true });
  ui.status = h('p', { class: 'status', role: 'status', id: 'quiz-status' });
  ui.form = h(
    'form',
    { id: 'quiz-form', class: 'quiz-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); grade(); } },
    h('label', { for: 'quiz-answer' }, 'Your answer'),
    ui.answer,
    h('p', { id: 'quiz-answer-hint', class: 'hint' }, 'Ctrl+Enter grades. The grade compares your answer with the key points of the bank\'s model answer.'),
    h('div', { class: 'quiz-actions' }, ui.grade, ui.skip),
  );
  ui.answer.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      ui.form.requestSubmit();
    }
  });
  ui.card = h('article', { class: 'card', id: 'quiz-card', 'aria-labelledby': 'quiz-question' }, ui.meta, ui.title, ui.note, ui.form, ui.status, ui.error);

  ui.result = h('section', { id: 'quiz-result', class: 'result', hidden: true, 'aria-labelledby': 'quiz-score' });
  ui.chart = h('div', { id: 'quiz-chart', class: 'chart' });
  const progressBox = h(
    'section',
    { class: 'progress', 'aria-labelledby': 'quiz-progress-title' },
    h('h2', { id: 'quiz-progress-title' }, 'Your progress'),
    ui.chart,
    h('button', { type: 'button', id: 'quiz-reset', class: 'link', onclick: () => reset() }, 'Reset progress'),
  );
  root.classList.remove('placeholder');
  root.replaceChildren(filters, ui.card, ui.result, progressBox);
  renderChart();
}

function filterParams() {
  const params = new URLSearchParams();
  const category = ui.category.value.trim();
  if (category) params.set('category', category);
  if (ui.difficulty.value) params.set('difficulty', ui.difficulty.value);
  if (ui.lang.value) params.set('lang', ui.lang.value);
  if (ui.answered.checked) params.set('hasModelAnswer', 'true');
  return params;
}

async function next(focus = true) {
  ui.error.hidden = true;
  ui.result.hidden = true;
  ui.result.replaceChildren();
  ui.form.hidden = false;
  ui.answer.value = '';
  ui.answer.disabled = true;
  ui.grade.disabled = true;
  ui.status.textContent = 'Picking a question…';
  const params = filterParams();
  if (progress.seen.length > 0) params.set('exclude', progress.seen.join(','));
  try {
    const { question, matching } = await call(`/v1/quiz?${params}`);
    state.question = question ?? undefined;
    if (!question) {
      showFinished(matching);
      return;
    }
    ui.meta.replaceChildren(
      h('span', { class: 'tag' }, categoryOf(question)),
      question.difficulty ? h('span', { class: `tag level-${question.difficulty.toLowerCase()}` }, question.difficulty) : null,
      question.roles?.length ? h('span', { class: 'roles' }, question.roles.join(' · ')) : null,
    );
    ui.title.textContent = question.title;
    ui.card.dataset.questionId = question.id;
    ui.note.hidden = question.hasModelAnswer;
    ui.note.textContent = question.hasModelAnswer ? '' : 'The bank has no model answer for this question: it is graded against the closest question that has one, if any.';
    ui.answer.disabled = false;
    ui.grade.disabled = false;
    ui.status.textContent = `${matching} question${matching === 1 ? '' : 's'} match; you have seen ${progress.seen.length}.`;
    if (focus) ui.answer.focus();
  } catch (err) {
    ui.title.textContent = 'No question';
    ui.status.textContent = '';
    showError(err);
  }
}

function showFinished(matching) {
  ui.meta.replaceChildren();
  ui.title.textContent = `You have seen all ${matching} questions that match.`;
  ui.note.hidden = true;
  ui.form.hidden = true;
  ui.status.textContent = '';
  ui.result.hidden = false;
  ui.result.replaceChildren(
    h('p', {}, 'Widen the filters, or start the round again: your scores are kept.'),
    h('button', { type: 'button', class: 'primary', onclick: () => { progress.seen = []; saveProgress(progress); next(); } }, 'Start again'),
  );
  ui.title.focus();
}

function skip() {
  if (state.question) recordSeen(state.question.id);
  next();
}

async function grade() {
  const q = state.question;
  const answer = ui.answer.value.trim();
  if (!q || state.grading) return;
  if (!answer) {
    showError(new Error('Write an answer first, then grade it.'));
    ui.answer.focus();
    return;
  }
  state.grading = true;
  ui.grade.disabled = true;
  ui.error.hidden = true;
  ui.status.textContent = 'Grading…';
  try {
    const g = await call('/v1/grade', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ questionId: q.id, answer }) });
    recordSeen(q.id);
    if (g.gradable) recordScore(categoryOf(q), g.score);
    ui.status.textContent = '';
    ui.form.hidden = true;
    showResult(g, answer);
    renderChart();
  } catch (err) {
    ui.status.textContent = '';
    showError(err);
  } finally {
    state.grading = false;
    ui.grade.disabled = false;
  }
}

function showError(err) {
  ui.error.textContent = err instanceof Error ? err.message : String(err);
  ui.error.hidden = false;
}

function showResult(g, answer) {
  const pct = Math.round(g.score * 100);
  const heading = h('h2', { id: 'quiz-score', tabindex: '-1' }, g.gradable ? `Score: ${pct}%` : 'Not graded');
  const parts = [heading];
  if (g.gradable) {
    parts.push(
      h('div', { class: `scorebar ${pct >= 70 ? 'good' : pct >= 40 ? 'fair' : 'low'}`, role: 'img', 'aria-label': `Score ${pct} out of 100` }, h('span', { style: undefined })),
      h('p', { class: 'status' }, `${g.covered.length} of ${g.covered.length + g.missed.length} key points covered` + (g.coverage !== undefined ? ` · coverage ${Math.round(g.coverage * 100)}%, precision ${Math.round((g.precision ?? 0) * 100)}%` : '') + (g.grader === 'llm' ? ' · judged by the language model' : '')),
    );
  } else {
    parts.push(h('p', {}, g.reason ?? 'This question cannot be graded.'));
    if (g.related.length > 0) parts.push(h('p', { class: 'hint' }, 'Closest questions with a model answer: ', g.related.map((r) => r.title).join(' · ')));
  }
  if (g.fallback) parts.push(h('p', { class: 'hint' }, `The language model failed (${g.fallback.reason}); graded offline.`));
  if (g.reference.kind === 'related-question') parts.push(h('p', { class: 'hint' }, `Graded against the bank's answer to: “${g.reference.title}”.`));
  parts.push(h('details', { class: 'yours' }, h('summary', {}, 'Your answer'), h('p', { class: 'pre' }, answer)));
  if (g.missed.length > 0) parts.push(h('h3', {}, `Missed (${g.missed.length})`), pointList(g.missed, false));
  if (g.covered.length > 0) parts.push(h('h3', {}, `Covered (${g.covered.length})`), pointList(g.covered, true));
  if (g.modelAnswer) {
    parts.push(
      h('h3', {}, 'Model answer'),
      h('div', { class: 'model-answer', id: 'quiz-model-answer' }, ...g.modelAnswer.text.split(/\n+/).filter(Boolean).map((p) => h('p', {}, p))),
    );
  }
  if (g.followUps.length > 0) parts.push(h('h3', {}, 'Follow-up questions'), h('ul', { class: 'followups' }, ...g.followUps.map((f) => h('li', {}, f))));
  parts.push(h('div', { class: 'quiz-actions' }, h('button', { type: 'button', class: 'primary', id: 'quiz-next', onclick: () => next() }, 'Next question')));
  ui.result.replaceChildren(...parts);
  const bar = ui.result.querySelector('.scorebar span');
  if (bar) bar.style.width = `${Math.max(2, pct)}%`;
  ui.result.hidden = false;
  heading.focus();
}

function pointList(points, covered) {
  return h(
    'ul',
    { class: `points ${covered ? 'covered' : 'missed'}` },
    ...points.map((p) =>
      h(
        'li',
        {},
        h('span', { class: 'mark', 'aria-hidden': 'true' }, covered ? '✓' : '✗'),
        h(
          'div',
          {},
          h('q', { class: 'quote' }, p.text),
          h('span', { class: 'where' }, `${p.citation.file}${p.citation.title ? ` — ${p.citation.title}` : ''} · characters ${p.citation.start}–${p.citation.end}`),
          covered && p.matched ? h('span', { class: 'matched' }, 'Your words: ', h('q', {}, p.matched)) : null,
        ),
      ),
    ),
  );
}

// ---- the progress chart ----

function renderChart() {
  const rows = Object.entries(progress.categories)
    .map(([name, c]) => ({ name, answered: c.answered, mean: c.answered ? c.total / c.answered : 0, best: c.best }))
    .sort((a, b) => b.answered - a.answered || a.name.localeCompare(b.name));
  if (rows.length === 0) {
    ui.chart.replaceChildren(h('p', { class: 'hint' }, 'Grade an answer and your mean score per category appears here. It is kept in this browser only.'));
    return;
  }
  // A phone gets a narrower drawing with each label above its bar, so the text stays legible.
  const narrow = window.matchMedia('(max-width: 36rem)').matches;
  const rowH = narrow ? 46 : 34;
  const labelW = narrow ? 0 : 250;
  const barW = narrow ? 230 : 270;
  const width = labelW + barW + 90;
  const height = rows.length * rowH + 8;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-labelledby': 'quiz-chart-title', class: 'bars', preserveAspectRatio: 'xMinYMin meet' });
  svg.append(s('title', { id: 'quiz-chart-title' }, `Mean score per category: ${rows.map((r) => `${r.name} ${Math.round(r.mean * 100)}% over ${r.answered}`).join('; ')}`));
  rows.forEach((r, i) => {
    const y = i * rowH + 4;
    const pct = Math.round(r.mean * 100);
    const max = narrow ? 40 : 32;
    const label = r.name.length > max ? `${r.name.slice(0, max - 1)}…` : r.name;
    const barY = narrow ? y + 20 : y + 6;
    const barH = narrow ? 18 : rowH - 12;
    svg.append(
      narrow ? s('text', { x: 0, y: y + 10, 'dominant-baseline': 'middle', class: 'label' }, label) : s('text', { x: labelW - 8, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label' }, label),
      s('rect', { x: labelW, y: barY, width: barW, height: barH, rx: 4, class: 'track' }),
      s('rect', { x: labelW, y: barY, width: Math.max(2, (barW * pct) / 100), height: barH, rx: 4, class: pct >= 70 ? 'bar good' : pct >= 40 ? 'bar fair' : 'bar low' }),
      s('text', { x: labelW + barW + 8, y: barY + barH / 2, 'dominant-baseline': 'middle', class: 'value' }, `${pct}% · ${r.answered}`),
    );
  });
  // The same figures as a table for screen readers (a table ignores a 1px width, so it sits in a div).
  const table = h(
    'div',
    { class: 'visually-hidden' },
    h(
    'table',
    {},
    h('caption', {}, 'Mean score per category'),
    h('tr', {}, h('th', { scope: 'col' }, 'Category'), h('th', { scope: 'col' }, 'Answered'), h('th', { scope: 'col' }, 'Mean score'), h('th', { scope: 'col' }, 'Best')),
    ...rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.name), h('td', {}, String(r.answered)), h('td', {}, `${Math.round(r.mean * 100)}%`), h('td', {}, `${Math.round(r.best * 100)}%`))),
    ),
  );
  const total = rows.reduce((n, r) => n + r.answered, 0);
  ui.chart.replaceChildren(svg, table, h('p', { class: 'hint' }, `${total} answer${total === 1 ? '' : 's'} graded in ${rows.length} categor${rows.length === 1 ? 'y' : 'ies'}; bars show the mean score, the number how many you answered.`));
}

function reset() {
  if (!window.confirm('Forget your scores and the questions you have seen?')) return;
  progress = { version: 1, seen: [], categories: {} };
  saveProgress(progress);
  renderChart();
  next();
}

// ---- start when the tab is first shown ----

async function start() {
  if (state.started || location.hash !== '#quiz') return;
  state.started = true;
  build();
  await next(false);
  try {
    const page = await call('/v1/questions?limit=1');
    ui.categories.replaceChildren(...page.facets.categories.map((c) => h('option', { value: c.value })));
  } catch {
    // The category list is a convenience; typing works without it.
  }
}

if (root) {
  window.addEventListener('hashchange', () => start());
  window.matchMedia('(max-width: 36rem)').addEventListener('change', () => state.started && renderChart());
  start();
}
