import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createApi } from '../../src/api/app.js';
import { DEFAULT_API_OPTIONS } from '../../src/api/options.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { chromiumMissing, launchChromium, screenshot, servePages, watchConsole } from '../support/browser.js';
import { buildMemoryIndex, type MemoryIndex } from '../support/memory-index.js';

if (chromiumMissing) console.warn(chromiumMissing);

/** A page of another site that embeds the widget, under its own strict CSP. */
function hostPage(api: string, title: string): { body: string; headers: Record<string, string> } {
  return {
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/host.css"></head>
<body><main><h1>${title}</h1><p>Notes on attention variants, with the qbank widget below.</p>
<qbank-ask placeholder="Ask about attention"></qbank-ask></main>
<script src="${api}/widget.js"></script></body></html>`,
    headers: {
      'Content-Security-Policy': `default-src 'none'; script-src ${api}; connect-src ${api}; style-src 'self'; base-uri 'none'`,
    },
  };
}

const HOST_CSS = {
  body: 'body{font-family:Georgia,serif;max-width:40rem;margin:2rem auto;padding:0 1rem;background:#fffdf7;color:#222} qbank-ask{--qbank-accent:#0f766e;--qbank-font:Georgia,serif;--qbank-bg:#fffdf7}',
  headers: { 'Content-Type': 'text/css' },
};

describe.skipIf(chromiumMissing !== undefined)('the <qbank-ask> widget on another origin, in Chromium', () => {
  let index: MemoryIndex;
  let api: RunningServer;
  let allowed: Awaited<ReturnType<typeof servePages>>;
  let denied: Awaited<ReturnType<typeof servePages>>;
  let browser: Browser;

  beforeAll(async () => {
    index = await buildMemoryIndex({ files: ['002_bedc587ae5620290.txt', '003_2c438f64575affed.txt'] });
    // The API's port must be known for the host pages, and theirs for the API's CORS list: reserve them first.
    const pages: Record<string, { body: string; headers?: Record<string, string> }> = { '/host.css': HOST_CSS };
    allowed = await servePages(pages);
    denied = await servePages(pages);
    const app = createApi({
      ask: index.ask,
      searcher: index.searcher,
      store: index.store,
      corpus: index.corpus,
      ready: () => ({ ok: true, detail: 'test' }),
      options: { ...DEFAULT_API_OPTIONS, corsOrigins: [`http://127.0.0.1:${allowed.port}`] },
    });
    api = await startServer(app, { host: '127.0.0.1', port: 0 });
    pages['/'] = hostPage(api.url, 'Attention notes');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await allowed?.close();
    await denied?.close();
    await index?.close();
  });

  it('answers with citations from a page on an allowed origin', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    page.setDefaultTimeout(10_000);
    const problems = watchConsole(page);
    await page.goto(`http://127.0.0.1:${allowed.port}/`);
    const widget = page.locator('qbank-ask');
    // Playwright's CSS locators pierce the open shadow root.
    await widget.locator('input').fill('explain GQA vs MQA');
    await widget.locator('button[type="submit"]').click();
    await expect.poll(() => widget.locator('.status').textContent(), { timeout: 15_000 }).toMatch(/\d+ sources? quoted/);
    expect(await widget.locator('.answer').innerText()).toMatch(/GQA/);
    expect(await widget.locator('ol li').count()).toBeGreaterThan(0);
    // Themed by the host page through custom properties.
    expect(await widget.locator('button[type="submit"]').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(15, 118, 110)');
    await widget.locator('button.cite').first().click();
    expect(await widget.locator('ol li.current').count()).toBe(1);
    await screenshot(page, 'widget-other-origin');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows an error, not an answer, on an origin the API does not allow', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    watchConsole(page);
    await page.goto(`http://127.0.0.1:${denied.port}/`);
    const widget = page.locator('qbank-ask');
    await widget.locator('input').fill('explain GQA vs MQA');
    await widget.locator('button[type="submit"]').click();
    await expect.poll(() => widget.locator('.error').textContent()).toMatch(/fetch/i);
    expect(await widget.locator('ol li').count()).toBe(0);
    await page.close();
  });
});
