import { describe, expect, it } from 'vitest';
import { choiceFlag, intFlag, numberFlag, parseCommand } from '../src/args.js';
import { UsageError } from '../src/errors.js';
import { duration, table } from '../src/format.js';
import { formatBar, JsonReporter, PlainReporter, type StepInfo, TtyReporter } from '../src/progress.js';

describe('flag parsing', () => {
  it('parses integers and rejects fractions, junk and out-of-range values', () => {
    expect(intFlag('train', 'epochs', '3', 1)).toBe(3);
    expect(intFlag('train', 'epochs', undefined, 1)).toBeUndefined();
    expect(() => intFlag('train', 'epochs', '1.5', 1)).toThrow("mge train: --epochs must be a positive integer, got '1.5'");
    expect(() => intFlag('train', 'epochs', '0', 1)).toThrow(UsageError);
    expect(() => intFlag('train', 'seed', '-1', 0, 10)).toThrow("--seed must be an integer in [0, 10], got '-1'");
    expect(() => intFlag('train', 'limit', '12abc', 1)).toThrow(UsageError);
  });

  it('parses numbers with exclusive and inclusive bounds', () => {
    expect(numberFlag('train', 'lr', '1e-3', 0, true)).toBe(0.001);
    expect(() => numberFlag('train', 'lr', '0', 0, true)).toThrow("--lr must be a decimal number > 0, got '0'");
    expect(numberFlag('train', 'momentum', '0', 0, false, 0.999)).toBe(0);
    expect(() => numberFlag('train', 'momentum', '1', 0, false, 0.999)).toThrow(
      "--momentum must be a decimal number in [0, 0.999], got '1'",
    );
    expect(() => numberFlag('train', 'lr', 'nan', 0, true)).toThrow(UsageError);
    expect(() => numberFlag('train', 'lr', '', 0, true)).toThrow(UsageError);
  });

  it('checks choices', () => {
    expect(choiceFlag('train', 'optimizer', 'adam', ['sgd', 'adam'])).toBe('adam');
    expect(() => choiceFlag('train', 'optimizer', 'rmsprop', ['sgd', 'adam'])).toThrow(
      "--optimizer must be one of sgd, adam, got 'rmsprop'",
    );
  });

  it('turns parseArgs errors into one-line usage errors and counts positionals', () => {
    expect(() => parseCommand('eval', ['--nope'], {}, [0, 1, 'x'])).toThrow("mge eval: Unknown option '--nope'");
    expect(() => parseCommand('eval', [], {}, [1, 1, 'the checkpoint'])).toThrow('mge eval: missing the checkpoint');
    expect(() => parseCommand('eval', ['a', 'b'], {}, [1, 1, 'x'])).toThrow("mge eval: unexpected argument 'b'");
    expect(() => parseCommand('train', ['--lr'], { lr: { type: 'string' } }, [0, 0, ''])).toThrow(/--lr/);
    const p = parseCommand('eval', ['c.safetensors', '--json'], { json: { type: 'boolean' } }, [1, 1, 'x']);
    expect(p.positionals).toEqual(['c.safetensors']);
    expect(p.values.json).toBe(true);
  });
});

const step = (over: Partial<StepInfo> = {}): StepInfo => ({
  epoch: 2,
  epochs: 5,
  step: 50,
  steps: 100,
  loss: 0.123456,
  accuracy: 0.9512,
  imagesPerSec: 1234.4,
  etaSeconds: 75,
  ...over,
});

function sink(isTTY: boolean) {
  let text = '';
  return { write: (s: string) => (text += s), isTTY, columns: 120, text: () => text };
}

describe('progress output', () => {
  it('formats the bar with loss, accuracy, speed and ETA', () => {
    expect(formatBar(step(), 10)).toBe('epoch 2/5 █████░░░░░  50/100  loss 0.1235  acc  95.1%  1,234 img/s  ETA 1:15');
    expect(formatBar(step({ step: 100 }), 4)).toContain('████ 100/100');
    expect(duration(3725)).toBe('1:02:05');
    expect(duration(Number.NaN)).toBe('--:--');
  });

  it('redraws one line on a terminal and clears it before the epoch line', () => {
    const out = sink(true);
    const r = new TtyReporter(out);
    r.step(step({ step: 1 }));
    r.step(step({ step: 100 }));
    r.epoch({
      epoch: 2,
      epochs: 5,
      trainLoss: 0.1,
      trainAccuracy: 0.97,
      testLoss: 0.08,
      testAccuracy: 0.975,
      seconds: 12,
      imagesPerSec: 666,
      checkpoint: 'x.safetensors',
    });
    const text = out.text();
    expect(text.split('\r\x1b[2K').length).toBe(4); // two draws and one clear
    expect(text).toContain('\r\x1b[2Kepoch 2/5  train loss 0.1000 acc 97.00%  held-out loss 0.0800 acc 97.50%');
    expect(text.endsWith('saved x.safetensors\n')).toBe(true);
  });

  it('prints a plain line at each tenth of an epoch when not on a terminal', () => {
    const out = sink(false);
    const r = new PlainReporter(out);
    for (let i = 1; i <= 100; i++) r.step(step({ step: i }));
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe('epoch 2/5 step 10/100  loss 0.1235  acc  95.1%  1,234 img/s  ETA 1:15');
    expect(out.text()).not.toContain('\r');
  });

  it('emits JSON lines', () => {
    const out = sink(false);
    const r = new JsonReporter(out);
    r.step(step({ step: 100 }));
    expect(JSON.parse(out.text())).toEqual({ event: 'step', ...step({ step: 100 }) });
  });

  it('aligns tables', () => {
    expect(table(['a', 'bb'], [['xyz', '1']])).toBe('a    bb\n---  --\nxyz  1');
  });
});
