import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { random, serialize, setDefaultDevice } from '@mge/core';
import { LeNet } from '@mge/models-zoo';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, launch, openPage, serveDist, type Watched } from './harness.js';

describe('playground in chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDist>>;
  let w: Watched;

  beforeAll(async () => {
    ensureBuilt();
    server = await serveDist();
    browser = await launch();
    w = await openPage(browser, server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const tab = (name: string) => w.page.getByRole('tab', { name }).click();

  it('loads with no console errors and no request outside its origin', async () => {
    expect(await w.page.title()).toBe('MegEngine.ts playground');
    expect(w.errors).toEqual([]);
    expect(w.foreign).toEqual([]);
  });

  it("lists LeNet's output shapes down to [N,10]", async () => {
    const shapes = await w.page.locator('#diagram .node .shape').allTextContents();
    expect(shapes).toEqual([
      '[N,1,32,32]',
      '[N,6,28,28]', '[N,6,28,28]', '[N,6,14,14]',
      '[N,16,10,10]', '[N,16,10,10]', '[N,16,5,5]',
      '[N,120]', '[N,120]', '[N,84]', '[N,84]', '[N,10]',
    ]);
    await expect.poll(() => w.page.locator('#totals').textContent()).toContain('61,706 parameters');
  });

  it('flags a composed layer whose input does not fit, on that layer', async () => {
    await w.page.selectOption('#model-picker', 'custom');
    // LeNet blocks; make the first Linear expect 399 inputs instead of 400
    await w.page.getByLabel('layer 7 Linear inFeatures').fill('399');
    await w.page.getByLabel('layer 7 Linear inFeatures').press('Enter');
    const bad = w.page.locator('#diagram .node.error');
    await expect.poll(() => bad.count()).toBe(1);
    expect(await bad.getAttribute('data-layer')).toBe('7');
    expect(await bad.locator('.message').textContent()).toMatch(/399|400/);
    expect(await w.page.locator('#code').textContent()).toContain('new M.Linear(399, 120)');
    await w.page.selectOption('#model-picker', 'lenet');
  });

  it('trains a few dozen steps in the worker and the loss goes down', async () => {
    await tab('Train');
    const panel = w.page.locator('#panel-train');
    await w.page.locator('#train-toggle:not([disabled])').waitFor();
    await w.page.fill('#lr', '0.05');
    await w.page.locator('#lr').dispatchEvent('change');
    await w.page.click('#train-toggle');
    await w.page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#panel-train')?.dataset.steps ?? 0) >= 40, null, { timeout: 120_000 });
    await w.page.click('#train-toggle');
    const first = Number(await panel.getAttribute('data-first-loss'));
    const recent = Number(await panel.getAttribute('data-recent-loss'));
    expect(first).toBeGreaterThan(1.5);
    expect(recent).toBeLessThan(first * 0.75);
    expect(Number(await w.page.locator('#stat-rate').textContent())).toBeGreaterThan(0);
    // hand the trained weights to the page's LeNet
    await w.page.click('#use-weights');
    await expect.poll(() => w.page.locator('#train-message').textContent()).toMatch(/now uses the weights after \d+ steps/);
    await expect.poll(() => w.page.locator('#try-predictions .summary').textContent()).toMatch(/weights: trained in the browser \(\d+ steps\)/);
  });

  it('draws a stroke and shows a probability for each class', async () => {
    await tab('Try it');
    const pad = w.page.locator('#draw-pad');
    const box = (await pad.boundingBox())!;
    // a "1": one vertical stroke
    await w.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
    await w.page.mouse.down();
    for (let k = 1; k <= 10; k++) await w.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.15 + 0.07 * k));
    await w.page.mouse.up();
    const bars = w.page.locator('#probabilities .bar');
    await expect.poll(() => bars.count(), { timeout: 30_000 }).toBe(10);
    const ps = (await bars.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.p))));
    expect(ps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    expect(await w.page.locator('#verdict').textContent()).toMatch(/Looks like a \d/);
  });

  it('switches the device to webgpu and back to js', async () => {
    const options = await w.page.locator('#device option:not([disabled])').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toContain('webgpu');
    expect(options).toContain('js');
    for (const d of ['webgpu', 'js']) {
      await w.page.selectOption('#device', d);
      await w.page.waitForFunction((dev) => document.body.dataset.device === dev, d, { timeout: 60_000 });
      await expect.poll(() => w.page.locator('#active-device').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^${d}`));
      await expect.poll(() => w.page.locator('#try-predictions').getAttribute('data-device'), { timeout: 60_000 }).toBe(d);
      await expect.poll(() => w.page.locator('#panel-train').getAttribute('data-device'), { timeout: 60_000 }).toBe(d);
    }
    expect(w.errors).toEqual([]);
  });

  it('reports a corrupt .safetensors file in words and keeps the weights', async () => {
    await tab('State dict');
    const keys = await w.page.locator('#state-table tbody tr').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.key));
    expect(keys).toEqual([
      'classifier.bias', 'classifier.weight', 'conv1.bias', 'conv1.weight', 'conv2.bias', 'conv2.weight',
      'fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight',
    ]);
    const before = await w.page.locator('#state-predictions').getAttribute('data-wrong');
    const bad = join(tmpdir(), 'corrupt.safetensors');
    writeFileSync(bad, Buffer.concat([Buffer.from([0x10, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a": {"dtype": "F32", ')]));
    await w.page.setInputFiles('#load-weights', bad);
    const msg = w.page.locator('#state-message');
    await expect.poll(() => msg.textContent()).toMatch(/corrupt\.safetensors is not a valid \.safetensors file: .+/);
    expect(await msg.getAttribute('class')).toContain('error');
    expect(await w.page.locator('#state-predictions').getAttribute('data-wrong')).toBe(before);
  });

  it('loads a valid .safetensors and the predictions change', async () => {
    const strip = w.page.locator('#state-predictions');
    const before = await strip.locator('.digit').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.pred).join(''));
    setDefaultDevice('js');
    random.seed(5);
    const file = join(tmpdir(), 'untrained-lenet.safetensors');
    writeFileSync(file, serialize(new LeNet().stateDict(), { metadata: { note: 'untrained' } }));
    await w.page.setInputFiles('#load-weights', file);
    await expect.poll(() => w.page.locator('#state-message').textContent()).toMatch(/Loaded 10 tensors from untrained-lenet\.safetensors \(.*note=untrained/);
    await expect.poll(() => strip.textContent()).toContain('weights: untrained-lenet.safetensors');
    const after = await strip.locator('.digit').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.pred).join(''));
    expect(after).not.toBe(before);
    expect(w.errors).toEqual([]);
  });
});
