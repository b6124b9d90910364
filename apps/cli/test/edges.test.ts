import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { full, save } from '@mge/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { numberFlag } from '../src/args.js';
import { removePartialCheckpoints } from '../src/checkpoint.js';
import { encodeGreyPng, readDigitPng } from '../src/image.js';
import { memoryIo } from '../src/io.js';
import { userFolder } from '../src/main.js';
import { createDigitClassifier } from '../src/models.js';
import { watchSigint } from '../src/stop.js';
import { CLI_DIR, mge, spawnMge } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mge-edges-'));

describe('numbers in flags', () => {
  it('are decimal only: hex, binary, octal and Infinity are refused', () => {
    for (const s of ['0x10', '0b1', '0o7', 'Infinity', '1_000', '']) {
      expect(() => numberFlag('train', 'lr', s, 0, true), s).toThrow(`--lr must be a decimal number > 0, got '${s}'`);
    }
    expect(numberFlag('train', 'lr', '0.05', 0, true)).toBe(0.05);
    expect(numberFlag('train', 'lr', '.5', 0, true)).toBe(0.5);
    expect(numberFlag('train', 'lr', '1e-3', 0, true)).toBe(0.001);
    expect(numberFlag('train', 'lr', '2.', 0, true)).toBe(2);
  });

  it('--lr 0x10 is a usage error', async () => {
    const r = await mge('train', '--lr', '0x10');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mge train: --lr must be a decimal number > 0, got '0x10'/);
  });
});

describe('an unknown --model', () => {
  it('is a usage error (exit 2) in train, eval and predict', async () => {
    for (const args of [
      ['train', '--model', 'nope'],
      ['eval', 'x.safetensors', '--model', 'nope'],
      ['predict', 'x.safetensors', '--index', '0', '--model', 'nope'],
    ]) {
      const r = await mge(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(
        new RegExp(`^mge ${args[0]}: --model must be a model from the zoo \\(lenet.*\\), got 'nope'\\n\\(see 'mge ${args[0]} --help'\\)`),
      );
    }
  });
});

describe('an unwritable --out', () => {
  it('is found before training starts', async () => {
    const dir = tmp();
    for (const [out, why] of [
      [join(dir, 'missing', 'x.safetensors'), /the folder '.*missing' does not exist/],
      [dir, /--out '.*' is a folder; name a file such as/],
      [join(dir, 'file.txt', 'x.safetensors'), /'.*file.txt' is not a folder/],
    ] as const) {
      if (out.includes('file.txt')) writeFileSync(join(dir, 'file.txt'), 'x');
      const r = await mge('train', '--device', 'js', '--limit', '32', '--epochs', '1', '--out', out);
      expect(r.code, out).toBe(1);
      expect(r.err).toMatch(why);
      expect(r.out).toBe(''); // no header, no step: training never started
    }
  });
});

describe('a second Ctrl-C during a save', () => {
  afterEach(() => vi.restoreAllMocks());

  it("removes the save's temporary file before quitting", () => {
    const dir = tmp();
    const out = join(dir, 'lenet.safetensors');
    writeFileSync(out, 'previous checkpoint');
    const partial = join(dir, `.lenet.safetensors.${process.pid}.abc123.tmp`);
    const someoneElses = join(dir, `.lenet.safetensors.${process.pid + 1}.abc123.tmp`);
    writeFileSync(partial, 'half a checkpoint');
    writeFileSync(someoneElses, 'another process');
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const io = memoryIo();
    const stop = watchSigint(io, () => removePartialCheckpoints(out));
    try {
      process.emit('SIGINT', 'SIGINT');
      expect(stop.requested).toBe(true);
      expect(existsSync(partial)).toBe(true);
      process.emit('SIGINT', 'SIGINT');
    } finally {
      stop.dispose();
    }
    expect(exit).toHaveBeenCalledWith(130);
    expect(readdirSync(dir).sort()).toEqual([`.lenet.safetensors.${process.pid + 1}.abc123.tmp`, 'lenet.safetensors']);
    expect(readFileSync(out, 'utf8')).toBe('previous checkpoint');
  });
});

describe('a diverging loss', () => {
  it('stops the run as diverged once the loss is orders of magnitude above its first value, finite or not', async () => {
    const r = await mge(
      'train',
      '--device',
      'cpu',
      '--limit',
      '96',
      '--epochs',
      '1',
      '--lr',
      '20',
      '--augment',
      '0',
      '--out',
      join(tmp(), 'x.safetensors'),
    );
    expect(r.code).toBe(1);
    // a finite loss (SGD at lr 20 jumps from ~2.3 to thousands within a few steps)
    expect(r.err).toMatch(
      /^mge train: training diverged \(loss \d[\d.e+]*, first 2\.\d{4}\) at epoch 1, step \d+; try a smaller --lr \(now 20\)/,
    );
  });
});

describe('images that are not PNG digits', () => {
  it('get a sentence, not a decoder message', () => {
    const dir = tmp();
    const good = encodeGreyPng(new Uint8Array(28 * 28), 28);
    writeFileSync(join(dir, 'empty.png'), '');
    writeFileSync(join(dir, 'half.png'), good.subarray(0, good.length >> 1));
    writeFileSync(join(dir, 'notes.png'), 'this is a text file\n');
    writeFileSync(join(dir, 'noise.png'), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(() => readDigitPng('predict', join(dir, 'empty.png'))).toThrow(
      /^mge predict: '.*empty.png' is empty \(0 bytes\); expected a PNG image of a digit$/,
    );
    expect(() => readDigitPng('predict', join(dir, 'half.png'))).toThrow(
      /^mge predict: '.*half.png' is a truncated or damaged PNG image \(\d+ bytes\); save it again and retry$/,
    );
    expect(() => readDigitPng('predict', join(dir, 'notes.png'))).toThrow(
      /^mge predict: '.*notes.png' is not a PNG image \(it looks like a text file\); expected a PNG image of a digit$/,
    );
    expect(() => readDigitPng('predict', join(dir, 'noise.png'))).toThrow(/^mge predict: '.*noise.png' is not a PNG image; expected/);
    writeFileSync(join(dir, 'good.png'), good);
    expect(readDigitPng('predict', join(dir, 'good.png')).side).toBe(28);
  });
});

describe('a checkpoint with NaN or infinite weights', () => {
  it('evaluates with a warning and exits non-zero', async () => {
    const { model } = createDigitClassifier('test', 'lenet');
    const weights = new Map(model.stateDict());
    weights.set('fc1.bias', full([120], Number.NaN));
    weights.set('conv1.bias', full([6], Number.POSITIVE_INFINITY));
    const path = join(tmp(), 'diverged.safetensors');
    await save(weights, path, { metadata: { model: 'lenet', epoch: '1' } });
    const r = await mge('eval', path, '--device', 'cpu', '--limit', '50');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/held-out accuracy/);
    expect(r.err).toMatch(
      /^mge eval: warning: '.*diverged.safetensors' holds NaN or infinite weights \(conv1.bias, fc1.bias\); the run that wrote it diverged\n$/,
    );
  });
});

describe('pnpm mge from a subfolder', () => {
  it("resolves relative paths against the user's folder (INIT_CWD), not the workspace root", async () => {
    expect(userFolder({ npm_lifecycle_event: 'mge', INIT_CWD: '/home/u/digits' }, '/repo')).toBe('/home/u/digits');
    expect(userFolder({ INIT_CWD: '/home/u/digits' }, '/repo')).toBe('/repo');
    const sub = join(tmp(), 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'only-here.safetensors'), 'not a checkpoint');
    // the CLI runs from its own folder, as pnpm runs it from the workspace root
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts', 'eval', 'only-here.safetensors'], {
        cwd: CLI_DIR,
        env: { ...process.env, npm_lifecycle_event: 'mge', INIT_CWD: sub },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('close', (code) => resolve({ code, err }));
    });
    expect(r.code).toBe(1);
    // found in the user's folder (so read and judged), not reported missing from the CLI's folder
    expect(r.err).toMatch(/^mge eval: 'only-here.safetensors' (is not a valid checkpoint|cannot be read)/);
    expect(process.cwd()).not.toBe(sub);
  });
});

describe('backends start lazily', () => {
  it('mge train on cpu, or with the automatic choice, never starts Dawn (no Dawn or Vulkan lines)', async () => {
    for (const device of ['cpu', 'auto']) {
      const r = await spawnMge([
        'train',
        '--device',
        device,
        '--limit',
        '32',
        '--epochs',
        '1',
        '--augment',
        '0',
        '--json',
        '--out',
        join(tmp(), 'x.safetensors'),
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('"device":"cpu"');
      expect(r.err).not.toMatch(/Warning:|artificially reduced|vkCreateInstance/);
    }
  });
});
