import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApi } from '../../src/api/app.js';
import { DEFAULT_API_OPTIONS } from '../../src/api/options.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { seededRandom } from '../../src/study/seeded-random.js';
import { StudyService } from '../../src/study/study-service.js';
import { chromiumMissing, launchChromium, screenshot, SCREENSHOTS, watchConsole } from '../support/browser.js';
import { buildMemoryIndex, type MemoryIndex } from '../support/memory-index.js';

if (chromiumMissing) console.warn(chromiumMissing);

describe.skipIf(chromiumMissing !== undefined)('the Quiz tab in Chromium', () => {
  let index: MemoryIndex;
  let study: StudyService;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    index = await buildMemoryIndex();
    study = new StudyService({ store: index.store, embedder: index.embedder, searcher: index.searcher, fileText: (f) => index.corpus.text(f), random: seededRandom(11) });
    const app = createApi({ ask: index.ask, searcher: index.searcher, store: index.store, corpus: index.corpus, study, ready: () => ({ ok: true, detail: 'test' }), options: DEFAULT_API_OPTIONS });
    server = await startServer(app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await index?.close();
  });

  /** An answer that makes the first two key points of the shown question, in the student's words as far as a test can. */
  async function answerFor(p: Page): Promise<string> {
    const id = (await p.locator('#quiz-card').getAttribute('data-question-id')) ?? '';
    const q = await study.catalogue.get(id);
    if (!q) throw new Error(`the card shows an unknown question id "${id}"`);
    return study.catalogue
      .keyPoints(q)
      .slice(0, 2)
      .map((k) => k.text)
      .join('\n');
  }

  it('runs a round: a question, an answer, the grade with covered and missed quotes, the model answer, and the progress chart', async () => {
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await page.goto(`${server.url}/#quiz`);
    const title = page.locator('#quiz-question');
    await expect.poll(() => title.textContent()).not.toMatch(/Loading/);
    expect(await page.locator('#quiz-card [data-question-id], #quiz-card[data-question-id]').count()).toBe(1);
    expect(await page.locator('#quiz-chart').innerText()).toMatch(/Grade an answer/);
    const first = await title.textContent();

    await page.getByLabel('Your answer').fill(await answerFor(page));
    await page.getByRole('button', { name: 'Grade' }).click();
    const score = page.locator('#quiz-score');
    await expect.poll(() => score.textContent(), { timeout: 15_000 }).toMatch(/^Score: \d+%$/);
    // Focus moves to the grade, so a screen reader reads it next.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('quiz-score');
    expect(await page.locator('.points.covered li').count()).toBeGreaterThanOrEqual(1);
    const quote = page.locator('.points li .quote').first();
    expect((await quote.innerText()).length).toBeGreaterThan(20);
    expect(await page.locator('.points li .where').first().innerText()).toMatch(/_[0-9a-f]{16}\.txt .* characters \d+–\d+/);
    expect((await page.locator('#quiz-model-answer').innerText()).length).toBeGreaterThan(80);
    expect(await page.locator('#quiz-form').isHidden()).toBe(true);

    // The progress chart: one bar for the category, kept in localStorage.
    expect(await page.locator('#quiz-chart svg.bars rect.bar').count()).toBe(1);
    expect(await page.locator('#quiz-chart svg title').textContent()).toMatch(/Mean score per category: .+ \d+% over 1/);
    const stored = JSON.parse((await page.evaluate(() => localStorage.getItem('qbank-quiz-progress'))) ?? '{}') as { seen: string[]; categories: Record<string, { answered: number }> };
    expect(stored.seen).toHaveLength(1);
    expect(Object.values(stored.categories)[0]?.answered).toBe(1);
    await screenshot(page, 'quiz-graded');
    await page.locator('.progress').screenshot({ path: join(SCREENSHOTS, 'quiz-progress-chart.png') });
    expect(problems).toEqual([]);

    // The next card is a question not seen yet.
    await page.getByRole('button', { name: 'Next question' }).click();
    await expect.poll(() => title.textContent()).not.toBe(first);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('quiz-answer');
  });

  it('works from the keyboard: type, Ctrl+Enter grades, Tab reaches Next question', async () => {
    await page.keyboard.type(await answerFor(page));
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('#quiz-score').textContent(), { timeout: 15_000 }).toMatch(/^Score: \d+%$/);
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'quiz-next');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('quiz-answer');
    expect(await page.locator('#quiz-chart svg.bars rect.bar').count()).toBeGreaterThanOrEqual(1);
    expect(problems).toEqual([]);
  });

  it('keeps the progress across a reload and says so when the answer is empty', async () => {
    await page.reload();
    await expect.poll(() => page.locator('#quiz-question').textContent()).not.toMatch(/Loading/);
    const stored = JSON.parse((await page.evaluate(() => localStorage.getItem('qbank-quiz-progress'))) ?? '{}') as { seen: string[] };
    expect(stored.seen).toHaveLength(2);
    expect(await page.locator('#quiz-chart svg.bars rect.bar').count()).toBeGreaterThanOrEqual(1);
    await page.getByRole('button', { name: 'Grade' }).click();
    expect(await page.locator('#quiz-error').innerText()).toMatch(/Write an answer first/);
    expect(problems).toEqual([]);
  });

  it('is readable on a phone', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const phoneProblems = watchConsole(phone);
    await phone.goto(`${server.url}/#quiz`);
    await expect.poll(() => phone.locator('#quiz-question').textContent()).not.toMatch(/Loading/);
    await phone.getByLabel('Your answer').fill(await answerFor(phone));
    await phone.getByRole('button', { name: 'Grade' }).click();
    await expect.poll(() => phone.locator('#quiz-score').textContent(), { timeout: 15_000 }).toMatch(/^Score: \d+%$/);
    // Nothing wider than the screen, and the chart's labels are drawn at a legible size.
    const label = phone.locator('#quiz-chart svg .label').first();
    const box = await label.boundingBox();
    expect(box?.height ?? 0).toBeGreaterThanOrEqual(12);
    const wide = await phone.evaluate(() =>
      Array.from(document.querySelectorAll('body *'))
        .filter((el) => el.getBoundingClientRect().right > 391 && !el.closest('.visually-hidden'))
        .slice(0, 5)
        .map((el) => `${el.tagName}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`),
    );
    expect(wide).toEqual([]);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(phone, 'quiz-phone');
    await phone.evaluate(() => window.scrollTo(0, 0));
    await screenshot(phone, 'quiz-phone-card', { fullPage: false });
    await phone.locator('#quiz-progress-title').scrollIntoViewIfNeeded();
    await screenshot(phone, 'quiz-phone-progress', { fullPage: false });
    expect(phoneProblems).toEqual([]);
    await phone.close();
  });
});
