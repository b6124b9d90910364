/**
 * Makes docs/screenshot.png for the README: the Try it tab after drawing a 7.
 *   pnpm --filter @mge/playground screenshot
 */
import { join } from 'node:path';
import { APP_DIR, ensureBuilt, launch, openPage, serveDist } from './harness.js';

ensureBuilt();
const server = await serveDist();
const browser = await launch();
try {
  const { page, errors } = await openPage(browser, server.url, { width: 1100, height: 860 });
  await page.getByRole('tab', { name: 'Try it' }).click();
  const box = (await page.locator('#draw-pad').boundingBox())!;
  const at = (fx: number, fy: number) => page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 6 });
  await at(0.25, 0.2);
  await page.mouse.down();
  await at(0.75, 0.2);
  await at(0.45, 0.85);
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelectorAll('#probabilities .bar').length === 10);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(APP_DIR, 'docs', 'screenshot.png') });
  if (errors.length) throw new Error(`console errors: ${errors.join('\n')}`);
  console.log(`wrote docs/screenshot.png; verdict: ${await page.locator('#verdict').textContent()}`);
} finally {
  await browser.close();
  await server.close();
}
