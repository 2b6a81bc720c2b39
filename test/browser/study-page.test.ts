import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApi } from '../../src/api/app.js';
import { DEFAULT_API_OPTIONS } from '../../src/api/options.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { chromiumMissing, launchChromium, screenshot, watchConsole } from '../support/browser.js';
import { buildMemoryIndex, type MemoryIndex } from '../support/memory-index.js';

if (chromiumMissing) console.warn(chromiumMissing);

describe.skipIf(chromiumMissing !== undefined)('the study page in Chromium', () => {
  let index: MemoryIndex;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    index = await buildMemoryIndex();
    const app = createApi({ ask: index.ask, searcher: index.searcher, store: index.store, corpus: index.corpus, ready: () => ({ ok: true, detail: 'test' }), options: DEFAULT_API_OPTIONS });
    server = await startServer(app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await index?.close();
  });

  it('asks a question and shows a streamed, cited answer', async () => {
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(10_000);
    problems = watchConsole(page);
    await page.goto(`${server.url}/`);
    await page.getByLabel('Your question').fill('explain GQA vs MQA');
    await page.getByLabel('Your question').press('Enter');
    await expect.poll(() => page.locator('#answer-status').textContent(), { timeout: 15_000 }).toMatch(/\d+ sources?/);
    const text = await page.locator('#answer-text').innerText();
    expect(text).toMatch(/GQA/);
    expect(await page.locator('#answer-text button.cite').count()).toBeGreaterThan(0);
    expect(await page.locator('#sources li').count()).toBeGreaterThan(0);
    expect(await page.locator('#answer-text').getAttribute('aria-busy')).toBe('false');
    await screenshot(page, 'study-page-answer');
    expect(problems).toEqual([]);
  });

  it('opens a citation with the quote highlighted in its context, and Escape closes it', async () => {
    const first = page.locator('#answer-text button.cite').first();
    await first.click();
    const dialog = page.locator('#citation-dialog');
    await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
    const mark = page.locator('#citation-context mark');
    await mark.waitFor({ timeout: 10_000 });
    const quote = (await page.locator('#sources li').first().locator('q').innerText()).replace(/…$/, '');
    const marked = (await mark.innerText()).replace(/\s+/g, ' ');
    expect(marked.startsWith(quote.replace(/\s+/g, ' ').slice(0, 60))).toBe(true);
    expect(await page.locator('#citation-context .passage').count()).toBeGreaterThan(0);
    expect((await page.locator('#citation-context').innerText()).length).toBeGreaterThan(marked.length + 200);
    await screenshot(page, 'study-page-citation', { fullPage: false });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
    // Focus goes back to the marker that opened it.
    expect(await page.evaluate(() => document.activeElement?.classList.contains('cite'))).toBe(true);
    expect(problems).toEqual([]);
  });

  it('reaches the ask box and the answer by keyboard', async () => {
    await page.goto(`${server.url}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || ''));
    }
    expect(order).toContain('question');
    expect(order.indexOf('ask-button')).toBe(order.indexOf('question') + 1);
  });

  it('browses the bank by category and difficulty', async () => {
    await page.goto(`${server.url}/#browse`);
    await page.locator('#questions li').first().waitFor();
    expect(await page.locator('#browse-count').innerText()).toMatch(/Questions 1–20 of \d+/);
    await page.locator('#f-difficulty').selectOption('Hard');
    await expect.poll(async () => (await page.locator('#questions .q-meta').allInnerTexts()).every((t) => t.includes('Hard'))).toBe(true);
    const categories = await page.locator('#f-category option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const category = categories.find((c) => /transformer/i.test(c)) ?? '';
    await page.locator('#f-category').selectOption(category);
    await expect.poll(async () => (await page.locator('#questions .q-meta').allInnerTexts()).every((t) => t.includes(category) && t.includes('Hard'))).toBe(true);
    expect(await page.locator('#questions li').count()).toBeGreaterThan(0);
    await screenshot(page, 'study-page-browse');
    await page.locator('#questions li').first().getByRole('button', { name: /Read the bank's answer/ }).click();
    await page.locator('#citation-context mark').waitFor();
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
  });

  it('renders the API reference without errors', async () => {
    const docs = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const docsProblems = watchConsole(docs);
    await docs.goto(`${server.url}/docs`);
    expect(await docs.locator('h1').innerText()).toMatch(/qbank API/);
    expect(await docs.locator('#op-ask').isVisible()).toBe(true);
    await screenshot(docs, 'docs', { fullPage: false });
    expect(docsProblems).toEqual([]);
    await docs.close();
  });

  it('keeps a marked place for the quiz', async () => {
    await page.goto(`${server.url}/#quiz`);
    expect(await page.locator('[data-feature="quiz"]').isVisible()).toBe(true);
    expect(await page.locator('[data-tab="quiz"]').getAttribute('aria-current')).toBe('page');
  });

  it('is readable on a phone', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const phoneProblems = watchConsole(phone);
    await phone.goto(`${server.url}/`);
    await phone.getByLabel('Your question').fill('What is the KV cache and why does it matter?');
    await phone.getByRole('button', { name: 'Ask', exact: true }).click();
    await expect.poll(() => phone.locator('#answer-status').textContent(), { timeout: 15_000 }).toMatch(/\d+ sources?/);
    // Nothing wider than the screen.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(phone, 'study-page-phone');
    expect(phoneProblems).toEqual([]);
    await phone.close();
  });
});
