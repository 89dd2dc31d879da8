import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import axe from 'axe-core';
import type { Page } from 'playwright-core';

type Axe = typeof axe;

/**
 * axe-core's serious and critical violations on the page as it stands, one line each with the
 * elements concerned. axe is evaluated through the DevTools protocol, which the page's
 * Content-Security-Policy does not govern, so the hub's policy stays on while it runs.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const { axe: injected } = window as unknown as { axe: Axe };
    const results = await injected.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/**
 * A screenshot of all of a view that scrolls inside the app shell: the viewport is made as tall as
 * the view's content for the shot, then set back.
 */
export async function screenshotWhole(page: Page, scroller: string, path: string): Promise<void> {
  const viewport = page.viewportSize();
  if (!viewport) throw new Error('the page has no fixed viewport');
  const overflowPx = await page.$eval(scroller, (node) => node.scrollHeight - node.clientHeight);
  await mkdir(dirname(path), { recursive: true });
  if (overflowPx > 0) await page.setViewportSize({ ...viewport, height: viewport.height + overflowPx });
  try {
    await page.mouse.move(0, 0);
    await page.screenshot({ path });
  } finally {
    if (overflowPx > 0) await page.setViewportSize(viewport);
  }
}
