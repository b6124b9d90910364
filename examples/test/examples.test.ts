import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function run(file: string, ...args: string[]): string {
  return execFileSync(tsx, ['--conditions=source', join(root, 'src', file), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MGE_DEVICE: 'js', MGE_QUIET: '1' },
  });
}

describe("the seed's examples", () => {
  it('functional two-layer conv prints (2, 16, 28, 28)', () => {
    expect(run('01-functional-two-layer-conv.ts').trim()).toBe('[ 2, 16, 28, 28 ]');
  });

  it('TwoLayerConv prints its shape and a ConvReLU(2, 3) state dict with sorted keys', () => {
    const out = run('02-module-two-layer-conv.ts');
    const [shapeLine, ...rest] = out.trim().split('\n');
    expect(shapeLine).toBe('[ 2, 16, 28, 28 ]');
    const dict = rest.join('\n');
    expect(dict.startsWith("OrderedDict([('convBias', array([[[[0.]],\n\n        [[0.]],\n\n        [[0.]]]], dtype=float32)), ('convWeight', array([[[[")).toBe(true);
    expect(dict.endsWith(']]]], dtype=float32))])')).toBe(true);
    // convWeight (3, 2, 3, 3): 54 random values, none of them the zero bias
    const weightPart = dict.slice(dict.indexOf("('convWeight'"));
    const numbers = weightPart.match(/-?\d+\.\d*(e[+-]\d+)?/g) ?? [];
    expect(numbers).toHaveLength(54);
    expect(dict.indexOf("'convBias'")).toBeLessThan(dict.indexOf("'convWeight'"));
  });

  it('LeNet prints (2, 10)', () => {
    expect(run('03-lenet.ts').trim()).toBe('[ 2, 10 ]');
  });
});

describe('the character GPT example', () => {
  it('learns the shipped text: 50 steps take the loss from above 3.5 to below 3', () => {
    const out = run('04-char-gpt.ts', '--steps', '50');
    const losses = [...out.matchAll(/^step (\d+) loss (\d+\.\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(losses.map(([s]) => s)).toEqual([1, 50]);
    expect(losses[0][1]).toBeGreaterThan(3.5);
    expect(losses[1][1]).toBeLessThan(3);
    expect(out).toMatch(/^sample: "A network .{80}"$/m);
  }, 120_000);
});
