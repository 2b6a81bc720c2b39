import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';
import { chromiumMissing, launchChromium, screenshot, watchConsole } from '../test/support/browser.js';
import { escapeHtml, renderHtml } from './report-html.js';
import type { EvalReport } from './report.js';
import { sampleReport } from './testing/sample-report.js';

describe('report.html', () => {
  const html = renderHtml(sampleReport());
  it('is self-contained: no script, no external resource', () => {
    expect(html).not.toMatch(/<script|<link|@import|src="http|href="http/i);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(5);
  });
  it('escapes text from datasets and corpora', () => {
    expect(html).toContain('Which topics come up most often &lt;in&gt; interviews?');
    expect(escapeHtml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  });
});

if (chromiumMissing) console.warn(chromiumMissing);

describe.skipIf(chromiumMissing !== undefined)('report.html in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const render = async (report: EvalReport, name: string) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchConsole(page);
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
    });
    await page.setContent(renderHtml(report), { waitUntil: 'load' });
    const facts = await page.evaluate(() => ({
      svgs: document.querySelectorAll('svg').length,
      bars: document.querySelectorAll('svg rect').length,
      tables: document.querySelectorAll('table').length,
      width: document.documentElement.scrollWidth,
      heading: document.querySelector('h1')?.textContent,
    }));
    const path = await screenshot(page, name);
    await page.close();
    return { facts, problems, requests, path };
  };

  it('renders tables and charts with no console error and no request', async () => {
    const { facts, problems, requests, path } = await render(sampleReport(), 'eval-report-sample');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect(facts.heading).toBe('qbank evaluation report');
    expect(facts.svgs).toBeGreaterThanOrEqual(5);
    expect(facts.bars).toBeGreaterThan(40);
    expect(facts.tables).toBeGreaterThanOrEqual(4);
    expect(facts.width).toBeLessThanOrEqual(1280);
    expect(existsSync(path)).toBe(true);
  });

  // The last real run, when there is one (`qbank eval` writes it): the screenshot to look at.
  const real = join(packageRoot(), 'artifacts', 'eval', 'report.json');
  it.skipIf(!existsSync(real))('renders the last real report', async () => {
    const { problems, requests } = await render(JSON.parse(readFileSync(real, 'utf8')) as EvalReport, 'eval-report');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
  });
});
