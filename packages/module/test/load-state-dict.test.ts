// loadStateDict reads and converts every value before writing the first one: a value that is
// disposed, unreadable synchronously or of the wrong dtype leaves the module as it was.
import { JsBackend, ready, registerBackend, tensor } from '@mge/core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as M from '../src/index.js';

class NoSyncRead extends JsBackend {
  constructor() {
    super();
    Object.defineProperty(this, 'readSync', { value: undefined });
  }
}
beforeAll(async () => {
  registerBackend('nosync', () => new NoSyncRead(), 1);
  await ready();
});

const snapshot = (m: M.Module) => [...m.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]);

describe('loadStateDict is all or nothing', () => {
  it('a disposed value: error naming the key, no parameter written', () => {
    const lin = new M.Linear(3, 2);
    const before = snapshot(lin);
    const bias = tensor([1, 2]);
    bias.dispose();
    // 'bias' sorts before 'weight': the weight must not have been written either
    expect(() => lin.loadStateDict({ weight: tensor(new Float32Array(6).fill(5), { shape: [2, 3] }), bias })).toThrow(
      /loadStateDict: the value of key 'bias' was disposed/,
    );
    expect(snapshot(lin)).toEqual(before);
  });
  it('a value on a device that cannot be read synchronously: error naming the key, nothing written', () => {
    const lin = new M.Linear(3, 2);
    const before = snapshot(lin);
    const weight = tensor(new Float32Array(6).fill(5), { shape: [2, 3] });
    const bias = tensor([1, 2], { device: 'nosync' });
    expect(() => lin.loadStateDict({ weight, bias })).toThrow(
      /loadStateDict: key 'bias': .*device 'nosync' cannot read synchronously.*nothing was loaded/,
    );
    expect(snapshot(lin)).toEqual(before);
  });
  it('a dtype other than the parameter needs is refused unless cast is asked for', () => {
    const lin = new M.Linear(1, 2);
    const weight = tensor([[1], [2]]);
    const bias = tensor([3, 4], { dtype: 'int32' });
    expect(() => lin.loadStateDict({ weight, bias })).toThrow(
      /key 'bias' holds int32 values but the module's tensor is float32; pass \{ cast: true \}/,
    );
    expect(Array.from(lin.weight.dataSync())).not.toEqual([1, 2]);
    lin.loadStateDict({ weight, bias }, { cast: true });
    expect(Array.from(lin.bias!.dataSync())).toEqual([3, 4]);
    expect(Array.from(lin.weight.dataSync())).toEqual([1, 2]);
  });
});
