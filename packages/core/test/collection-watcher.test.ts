/**
 * Core's release point for backends that pool (buffersCollected false): with a collection
 * watcher installed, the buffer of every collected storage is released exactly once, at the
 * next allocation, and a disposed one is not released again when its collection is reported.
 * The watcher here is built on a FinalizationRegistry (a test double for the N-API one of
 * @mge/kernels-cpu, which needs no event-loop turn).
 */
import {
  type DataArray,
  getBackend,
  hasCollectionWatcher,
  JsBackend,
  registerBackend,
  setCollectionWatcher,
  type Tensor,
  tensor,
} from '@mge/core';
import { describe, expect, it } from 'vitest';

const gc = (globalThis as { gc?: () => void }).gc;
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

class PoolingJs extends JsBackend {
  released = 0;
  constructor() {
    super();
    (this as { buffersCollected: boolean }).buffersCollected = false;
  }
  override release(buf: DataArray): void {
    this.released++;
    super.release(buf);
  }
}

const collected: number[] = [];
const registry = new FinalizationRegistry<number>((id) => collected.push(id));
const pending = new Int32Array(1);
const watched = new Set<number>();
setCollectionWatcher({
  watch(target, id) {
    expect(watched.has(id), `id ${id} handed out twice while its storage lives`).toBe(false);
    watched.add(id);
    registry.register(target, id);
  },
  drain(out) {
    const n = Math.min(out.length, collected.length);
    for (let i = 0; i < n; i++) {
      out[i] = collected[i] as number;
      watched.delete(out[i] as number);
    }
    collected.splice(0, n);
    pending[0] = collected.length;
    return n;
  },
  pending,
});
registerBackend('pooling-js', () => new PoolingJs(), 1);

describe('collection watcher', () => {
  it('releases each collected or disposed buffer exactly once', async () => {
    expect(gc, 'vitest must run with --expose-gc').toBeTypeOf('function');
    expect(hasCollectionWatcher()).toBe(true);
    const backend = getBackend('pooling-js') as PoolingJs;
    const keep = tensor([1, 2, 3], { device: 'pooling-js' });
    const before = backend.released;
    (() => {
      const ts: Tensor[] = [];
      for (let i = 0; i < 200; i++) ts.push(tensor([i, i + 1], { device: 'pooling-js' }));
      for (let i = 0; i < 50; i++) ts[i]?.dispose();
    })();
    expect(backend.released - before).toBe(50);
    for (let i = 0; i < 5 && collected.length + pending[0] < 200; i++) {
      gc!();
      await macrotask();
      pending[0] = collected.length;
    }
    tensor([0], { device: 'pooling-js' }); // the next allocation is the release point
    expect(backend.released - before).toBe(200);
    expect(Array.from(keep.dataSync())).toEqual([1, 2, 3]);
  });

  it('rejects a malformed watcher', () => {
    expect(() => setCollectionWatcher(null as never)).toThrow(
      /setCollectionWatcher: argument 'w' expected an object with watch\(\) and drain\(\)/,
    );
    expect(() => setCollectionWatcher({ watch() {}, drain: () => 0, pending: new Int32Array(0) })).toThrow(
      /'w.pending' expected an Int32Array/,
    );
  });
});
