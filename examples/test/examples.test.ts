import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonPath } from '@mge/kernels-cpu';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/**
 * Runs an example as a user would: tsx on the file, `megengine` resolved through node_modules to
 * its built package (no source condition), the device left to the package unless `device` names one.
 */
function run(file: string, device?: string, args: string[] = []): { out: string; device: string } {
  const env: Record<string, string | undefined> = { ...process.env, MGE_QUIET: '1' };
  delete env.MGE_DEVICE;
  if (device) env.MGE_DEVICE = device;
  const r = spawnSync(tsx, ['--import', join(root, 'test', 'report-device.mjs'), join(root, 'src', file), ...args], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  if (r.status !== 0) throw new Error(`${file} exited with ${r.status}:\n${r.stderr}`);
  const reported = /mge-device=(\S+)/.exec(r.stderr);
  if (!reported) throw new Error(`${file} did not report its device:\n${r.stderr}`);
  return { out: r.stdout, device: reported[1] };
}

/** The device `megengine` picks here: native cpu when its addon was built, else js (webgpu here is a software adapter). */
const expectedDevice = existsSync(addonPath()) ? 'cpu' : 'js';

describe("MegEngine's network-building guide examples, run through 'megengine'", () => {
  it('functional two-layer conv prints (2, 16, 28, 28)', () => {
    const r = run('01-functional-two-layer-conv.ts');
    expect(r.out.trim()).toBe('[ 2, 16, 28, 28 ]');
    expect(r.device).toBe(expectedDevice);
  });

  it('TwoLayerConv prints its shape and a ConvReLU(2, 3) state dict with sorted keys', () => {
    const { out, device } = run('02-module-two-layer-conv.ts');
    expect(device).toBe(expectedDevice);
    const [shapeLine, ...rest] = out.trim().split('\n');
    expect(shapeLine).toBe('[ 2, 16, 28, 28 ]');
    const dict = rest.join('\n');
    expect(
      dict.startsWith(
        "OrderedDict([('convBias', array([[[[0.]],\n\n        [[0.]],\n\n        [[0.]]]], dtype=float32)), ('convWeight', array([[[[",
      ),
    ).toBe(true);
    expect(dict.endsWith(']]]], dtype=float32))])')).toBe(true);
    // convWeight (3, 2, 3, 3): 54 random values, none of them the zero bias
    const weightPart = dict.slice(dict.indexOf("('convWeight'"));
    const numbers = weightPart.match(/-?\d+\.\d*(e[+-]\d+)?/g) ?? [];
    expect(numbers).toHaveLength(54);
    expect(dict.indexOf("'convBias'")).toBeLessThan(dict.indexOf("'convWeight'"));
  });

  it('LeNet prints (2, 10)', () => {
    const r = run('03-lenet.ts');
    expect(r.out.trim()).toBe('[ 2, 10 ]');
    expect(r.device).toBe(expectedDevice);
  });

  it('MGE_DEVICE=js moves them to the js backend', () => {
    const r = run('03-lenet.ts', 'js');
    expect(r.out.trim()).toBe('[ 2, 10 ]');
    expect(r.device).toBe('js');
  });
});

describe('the character GPT example', () => {
  it('learns the shipped text: 50 steps take the loss from above 3.5 to below 3', () => {
    const { out, device } = run('04-char-gpt.ts', undefined, ['--steps', '50']);
    expect(device).toBe(expectedDevice);
    const losses = [...out.matchAll(/^step (\d+) loss (\d+\.\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(losses.map(([s]) => s)).toEqual([1, 50]);
    expect(losses[0][1]).toBeGreaterThan(3.5);
    expect(losses[1][1]).toBeLessThan(3);
    expect(out).toMatch(/^sample: "A network .{80}"$/m);
  }, 120_000);
});
