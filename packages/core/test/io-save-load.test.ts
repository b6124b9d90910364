import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, load, save, tensor } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'mge-io-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import json, struct']).status === 0);

describe('save / load', () => {
  it('round-trips a state dict with metadata and optimizer state through a file', async () => {
    const path = join(dir, 'model.safetensors');
    const w = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await save({ 'fc.weight': w, 'fc.bias': tensor([-1, 1]), optimizer: { state: { 0: { momentumBuffer: tensor([0.5, 0.25]) } } } }, path, {
      metadata: { model: 'mlp' },
    });
    const ck = await load(path);
    expect([...ck.keys()]).toEqual(['fc.bias', 'fc.weight']);
    expect(ck.get('fc.weight')!.numpySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(ck.metadata).toEqual({ format: 'mge', version: '1', model: 'mlp' });
    const opt = ck.nested.optimizer as unknown as { state: Record<number, { momentumBuffer: { dataSync(): Float32Array } }> };
    expect(Array.from(opt.state[0].momentumBuffer.dataSync())).toEqual([0.5, 0.25]);
  });

  it('overwrites atomically and leaves no temporary file behind', async () => {
    const path = join(dir, 'over.safetensors');
    await save({ a: tensor([1]) }, path);
    await save({ a: tensor([2]) }, path);
    expect((await load(path)).get('a')!.item()).toBe(2);
    expect((await fs.readdir(dir)).filter((f) => f.includes('over.safetensors'))).toEqual(['over.safetensors']);
  });

  it('keeps the previous file when a write fails half-way', async () => {
    const path = join(dir, 'fail.safetensors');
    await save({ a: tensor([1, 2, 3]) }, path);
    const before = await fs.readFile(path);
    const probe = await fs.open(path, 'r');
    const proto = Object.getPrototypeOf(probe);
    await probe.close();
    const write = proto.write;
    proto.write = async function (this: unknown, buf: Uint8Array, offset: number, length: number) {
      await write.call(this, buf, offset, Math.floor(length / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    try {
      await expect(save({ a: tensor([9, 9, 9, 9]) }, path)).rejects.toThrow(
        /save: could not write '.*fail.safetensors': ENOSPC: no space left on device, write; any previous file there is unchanged/,
      );
    } finally {
      proto.write = write;
    }
    expect(Buffer.compare(await fs.readFile(path), before)).toBe(0);
    expect(Array.from((await load(path)).get('a')!.dataSync())).toEqual([1, 2, 3]);
    expect((await fs.readdir(dir)).filter((f) => f.includes('fail.safetensors'))).toEqual(['fail.safetensors']);
  });

  it('keeps the previous file when the process is killed mid-write', async () => {
    const path = join(dir, 'crash.safetensors');
    await save({ a: tensor([4, 5]) }, path);
    const before = await fs.readFile(path);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'io-fixtures', 'crash-mid-save.ts'), path], {
      encoding: 'utf8',
      cwd: join(here, '..'),
    });
    expect(r.stderr).toBe('');
    expect(r.signal).toBe('SIGKILL');
    expect(Buffer.compare(await fs.readFile(path), before)).toBe(0);
    // The killed writer's half-written temporary file is all that is left of it...
    const leftovers = (await fs.readdir(dir)).filter((f) => f.startsWith('.crash.safetensors.'));
    expect(leftovers.length).toBe(1);
    expect((await fs.stat(join(dir, leftovers[0]))).size).toBeLessThan(400_000);
    // ...until the next load (or save) of that file removes it: its process is gone.
    expect(Array.from((await load(path)).get('a')!.dataSync())).toEqual([4, 5]);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('.crash.safetensors.'))).toEqual([]);
  });

  it('removes stale temporaries of its own naming only, and never those of a live process', async () => {
    const path = join(dir, 'stale.safetensors');
    const dead = join(dir, '.stale.safetensors.999999999.k2x9ab.tmp'); // no such pid
    const live = join(dir, `.stale.safetensors.${process.ppid}.k2x9ab.tmp`); // our parent: alive
    const foreign = [
      join(dir, '.stale.safetensors.tmp'),
      join(dir, '.stale.safetensors.12.x.y.tmp'),
      join(dir, '.other.safetensors.999999999.k2.tmp'),
    ];
    for (const f of [dead, live, ...foreign]) await fs.writeFile(f, 'partial');
    await save({ a: tensor([1]) }, path);
    const names = await fs.readdir(dir);
    expect(names).not.toContain('.stale.safetensors.999999999.k2x9ab.tmp');
    expect(names).toContain(`.stale.safetensors.${process.ppid}.k2x9ab.tmp`);
    for (const f of foreign) expect(names).toContain(f.slice(dir.length + 1));
    for (const f of [live, ...foreign]) await fs.rm(f);
  });

  it('names the file in errors', async () => {
    await expect(load(join(dir, 'missing.safetensors'))).rejects.toThrow(/load: cannot read '.*missing.safetensors': ENOENT/);
    const path = join(dir, 'trunc.safetensors');
    await save({ a: tensor([1, 2, 3]) }, path);
    const bytes = await fs.readFile(path);
    await fs.writeFile(path, bytes.subarray(0, bytes.length - 1));
    const err = await load(path).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(
      /^load: '.*trunc.safetensors': tensor 'a': data_offsets \[0, 12\] run past the end of the data \(11 bytes\)/,
    );
    await expect(save({ a: tensor([1]) }, '')).rejects.toThrow(/save: argument 'path' must be a non-empty string/);
    await expect(save({ a: tensor([1]) }, join(dir, 'no', 'such', 'dir', 'x.safetensors'))).rejects.toThrow(
      /save: could not write .*ENOENT/,
    );
  });

  it('keeps Node modules out of the static imports, so the browser entry loads', async () => {
    const srcDir = join(here, '..', 'src', 'io');
    for (const f of await fs.readdir(srcDir)) {
      const text = await fs.readFile(join(srcDir, f), 'utf8');
      expect(text, f).not.toMatch(/^import(?!\s+type)[^;]*from\s+'node:/m);
    }
  });

  it.skipIf(!python)('is readable by an independent reader (Python standard library only)', async () => {
    const path = join(dir, 'py.safetensors');
    const w = tensor([
      [0.1, -2.5, 3],
      [1e-7, 65504, -0],
    ]);
    await save(
      { 'conv.weight': w, 'bn.count': tensor([3, -4], { dtype: 'int32' }), mask: tensor([true, false]), scalar: tensor(1.25) },
      path,
      { metadata: { model: 'test' } },
    );
    const out = JSON.parse(execFileSync(python!, [join(here, 'io-fixtures', 'read_safetensors.py'), path], { encoding: 'utf8' }));
    expect(out.metadata).toEqual({ format: 'mge', version: '1', model: 'test' });
    expect((8 + out.header_len) % 8).toBe(0);
    expect(Object.keys(out.tensors).sort()).toEqual(['bn.count', 'conv.weight', 'mask', 'scalar']);
    expect(out.tensors['conv.weight']).toEqual({ dtype: 'F32', shape: [2, 3], values: Array.from(w.dataSync()) });
    expect(out.tensors['bn.count']).toEqual({ dtype: 'I32', shape: [2], values: [3, -4] });
    expect(out.tensors.mask).toEqual({ dtype: 'BOOL', shape: [2], values: [true, false] });
    expect(out.tensors.scalar).toEqual({ dtype: 'F32', shape: [], values: [1.25] });
  });
});
