import * as mge from '@mge/core';
import { describe, expect, it } from 'vitest';
import { installGcWatch } from '../src/gc-watch.js';
import '../src/index.js';

const cpu = () => mge.getBackend('cpu');

// The release point that needs no event loop: buffers of tensors the GC collected come back
// to the pool at core's next allocation, inside one synchronous loop.
describe('collection watcher', () => {
  it('is installed on Node and makes the cpu backend pool every buffer', () => {
    expect(installGcWatch()).toBe(true);
    expect(mge.hasCollectionWatcher()).toBe(true);
    expect(cpu().buffersCollected).toBe(false);
  });

  it('a synchronous loop that never disposes reuses the buffers of collected tensors', () => {
    const b = cpu();
    const x = mge.ones([16, 1024], { device: 'cpu' });
    const liveBefore = b.memory().liveBuffers;
    let y = x;
    for (let i = 0; i < 20000; i++) y = x.mul(i).add(1); // 2 buffers of 64 KiB a step, never disposed
    // 40,000 buffers went through the loop; what is live is what the last collections have not
    // reached yet: 1,600–3,600 young tensors on a quiet machine, up to ~7,000 beside other test
    // processes (the watcher drains later), never everything since the loop began.
    const m = b.memory();
    expect(m.liveBuffers - liveBefore).toBeLessThan(12000);
    expect(y.dataSync()[5]).toBe(19999 + 1);
  });

  it('tensors kept across the loop stay valid', () => {
    const kept: mge.Tensor[] = [];
    const x = mge.arange(0, 4096, 1, { device: 'cpu' });
    for (let i = 0; i < 2000; i++) {
      const y = x.add(i);
      if (i % 100 === 0) kept.push(y);
    }
    kept.forEach((t, k) => {
      const v = t.dataSync();
      expect(v[0]).toBe(k * 100);
      expect(v[4095]).toBe(4095 + k * 100);
    });
  });

  it('rejects a malformed watcher', () => {
    expect(() => mge.setCollectionWatcher({} as never)).toThrow(
      /setCollectionWatcher: argument 'w' expected an object with watch\(\) and drain\(\)/,
    );
    expect(() => mge.setCollectionWatcher({ watch() {}, drain: () => 0, pending: [0] } as never)).toThrow(
      /'w.pending' expected an Int32Array/,
    );
  });
});
