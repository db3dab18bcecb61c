/**
 * Open a report page in Debian's headless Chromium (playwright-core, no downloaded browser) and say what loaded:
 * console errors, failed requests (there must be none: the page is self-contained), and for each chart its size
 * and number of drawn elements. Optionally save a screenshot. Used by test/flow-report.test.ts and bench/run.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installHint, requireTool, TOOLS } from '../tools/find.js';

export const CHROMIUM = TOOLS.chromium.bin;
export const CHROMIUM_INSTALL = `sudo ${installHint('chromium')}`;

export interface PageCheck {
  title: string;
  consoleErrors: string[];
  requests: string[];
  charts: Array<{ id: string; width: number; height: number; drawn: number }>;
}

export async function checkPage(htmlPath: string, opts: { screenshot?: string; width?: number; fullPage?: boolean } = {}): Promise<PageCheck> {
  const browserBin = (await requireTool('chromium')).path;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'af-chromium-'));
  // A fresh profile folder (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: browserBin,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: opts.width ?? 1040, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const url = pathToFileURL(resolve(htmlPath)).href;
    page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.$$eval('svg.chart', (els) => els.map((e) => {
      const b = e.getBoundingClientRect();
      return { id: e.getAttribute('data-chart') ?? '', width: Math.round(b.width), height: Math.round(b.height), drawn: e.querySelectorAll('rect.bar, polyline.line, circle').length };
    }));
    const title = await page.title();
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: opts.fullPage ?? true });
    return { title, consoleErrors, requests, charts };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
