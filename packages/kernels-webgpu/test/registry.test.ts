import * as mge from '@mge/core';
import { afterEach, describe, expect, it } from 'vitest';
import '../src/index.js';
import { isSoftwareAdapter } from '../src/adapter-info.js';
import { probeWebGpu } from '../src/probe.js';
import { gpuForTests } from './setup.js';

const { backend: probe } = await gpuForTests();
await mge.ready();

describe('adapter classification', () => {
  const facts = (o: Partial<Parameters<typeof isSoftwareAdapter>[0]>) => ({
    vendor: '',
    architecture: '',
    device: '',
    description: '',
    isFallback: false,
    ...o,
  });
  it('treats SwiftShader, llvmpipe/lavapipe and fallback adapters as software', () => {
    expect(isSoftwareAdapter(facts({ vendor: 'google', architecture: 'swiftshader' }))).toBe(true);
    expect(isSoftwareAdapter(facts({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7' }))).toBe(true);
    expect(isSoftwareAdapter(facts({ isFallback: true }))).toBe(true);
    expect(isSoftwareAdapter(facts({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3080' }))).toBe(false);
    expect(isSoftwareAdapter(facts({ vendor: 'mesa', architecture: 'rdna-2', description: 'AMD Radeon RX 6800 (RADV NAVI21)' }))).toBe(
      false,
    );
  });
});

describe.skipIf(!probe)("registered as device 'webgpu'", () => {
  afterEach(() => {
    delete process.env.MGE_DEVICE;
    mge.resetDefaultDevice();
  });

  it('initialises with priority 300 and describes its adapter', () => {
    const info = mge.deviceInfo().find((d) => d.name === 'webgpu');
    expect(info?.state).toBe('ready');
    expect(info?.priority).toBe(300);
    expect(info?.description).toBe(probe!.description);
    expect(info?.description?.length).toBeGreaterThan(0);
  });

  it('is not auto-selected on a software adapter, yet MGE_DEVICE=webgpu uses it', async () => {
    const backend = mge.getBackend('webgpu');
    if (isSoftwareAdapter(probe!.adapter)) {
      expect(backend.autoSelectable).toBe(false);
      expect(mge.getDefaultDevice()).not.toBe('webgpu');
    } else {
      expect(mge.getDefaultDevice()).toBe('webgpu');
    }
    process.env.MGE_DEVICE = 'webgpu';
    expect(mge.getDefaultDevice()).toBe('webgpu');
    const t = mge.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(t.device).toBe('webgpu');
    const y = t.matmul(t).add(1);
    expect(Array.from((await y.data()) as Float32Array)).toEqual([8, 11, 16, 23]);
  });

  it("probeWebGpu answers, without a device, what the started backend says (the registry's automatic choice asks it)", async () => {
    const answer = await probeWebGpu();
    expect(answer.description).toBe(probe!.description);
    expect(answer.autoSelectable).toBe(probe!.autoSelectable);
  });

  it('moves tensors between webgpu and js, synchronously (Node) or not', async () => {
    const a = mge.tensor([1.5, -2, 3], { device: 'js' });
    const g = a.to('webgpu');
    expect(g.device).toBe('webgpu');
    expect(Array.from(g.mul(2).to('js').dataSync() as Float32Array)).toEqual([3, -4, 6]);
    const back = await g.mul(2).toAsync('js');
    expect(back.device).toBe('js');
    expect(Array.from(back.dataSync() as Float32Array)).toEqual([3, -4, 6]);
  });
});
