/** The device registry: priorities, fallback with a reason, MGE_DEVICE, setDefaultDevice, two-device errors. */
import {
  add,
  availableDevices,
  deviceInfo,
  getBackend,
  getDefaultDevice,
  JsBackend,
  ready,
  registerBackend,
  resetDefaultDevice,
  setDefaultDevice,
  tensor,
} from '@mge/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  resetDefaultDevice();
  delete process.env.MGE_DEVICE;
  vi.restoreAllMocks();
});

describe('device registry', () => {
  it('js is built in and is the default when nothing else is registered', () => {
    expect(availableDevices()).toContain('js');
    expect(getDefaultDevice()).toBe('js');
    expect(tensor([1]).device).toBe('js');
  });

  it('the highest priority backend that initialised wins; a failed one says why, once, and falls back', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    registerBackend('second', () => new JsBackend(), 150);
    registerBackend(
      'broken',
      () => {
        throw new Error('native addon not built (run pnpm build)');
      },
      250,
    );
    expect(getDefaultDevice()).toBe('second');
    expect(getDefaultDevice()).toBe('second');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/backend 'broken' is unavailable: native addon not built/);
    const info = deviceInfo();
    expect(info.map((d) => d.name).slice(0, 3)).toEqual(['broken', 'second', 'js']);
    expect(info[0]).toMatchObject({ state: 'failed', error: 'native addon not built (run pnpm build)', isDefault: false });
    expect(info[1]).toMatchObject({ state: 'ready', isDefault: true });
    expect(() => getBackend('broken')).toThrow(/device 'broken' failed to initialise: native addon not built/);
    expect(() => tensor([1], { device: 'broken' })).toThrow(/failed to initialise/);
    expect(tensor([1]).device).toBe('second');
  });

  it('a backend that is not auto-selectable is used only when asked for by name', () => {
    registerBackend('software-gpu', () => Object.assign(new JsBackend(), { autoSelectable: false, description: 'SwiftShader' }), 1000);
    const def = getDefaultDevice();
    expect(def).not.toBe('software-gpu');
    // The registry says why the faster-ranked device is passed over.
    expect(deviceInfo().find((d) => d.name === 'software-gpu')?.note).toBe(
      `'software-gpu' (SwiftShader) is not chosen by default (software adapter); the default device is '${def}'`,
    );
    expect(deviceInfo().find((d) => d.name === def)?.note).toBeUndefined();
    expect(tensor([1], { device: 'software-gpu' }).device).toBe('software-gpu');
  });

  it('asynchronous factories join once ready() resolves', async () => {
    registerBackend('later', async () => new JsBackend(), 10);
    expect(deviceInfo().find((d) => d.name === 'later')?.state).toBe('initialising');
    expect(() => getBackend('later')).toThrow(/still initialising; await ready\(\['later'\]\)/);
    await ready();
    expect(deviceInfo().find((d) => d.name === 'later')?.state).toBe('ready');
    registerBackend(
      'later-broken',
      async () => {
        throw new Error('no adapter');
      },
      5,
    );
    await ready();
    expect(deviceInfo().find((d) => d.name === 'later-broken')).toMatchObject({ state: 'failed', error: 'no adapter' });
  });

  it('a lazy backend starts only when asked for: by name, by ready(), never by the choice of default', async () => {
    let starts = 0;
    registerBackend(
      'lazy-gpu',
      async () => {
        starts++;
        return new JsBackend();
      },
      20,
      { lazy: true },
    );
    expect(deviceInfo().find((d) => d.name === 'lazy-gpu')?.state).toBe('pending');
    getDefaultDevice();
    await ready(['js']);
    expect(starts).toBe(0);
    expect(() => getBackend('lazy-gpu')).toThrow(/device 'lazy-gpu' is still initialising; await ready\(\['lazy-gpu'\]\)/);
    await ready(['lazy-gpu']);
    expect(starts).toBe(1);
    expect(getBackend('lazy-gpu')).toBeInstanceOf(JsBackend);
    await expect(ready('js' as unknown as string[])).rejects.toThrow(/ready: argument 'names' must be an array/);
  });

  it('a device that reads only asynchronously points item() to itemAsync() and to() to toAsync()', async () => {
    class AsyncOnly extends JsBackend {
      override readSync = undefined as unknown as JsBackend['readSync'];
      override async read(...args: Parameters<JsBackend['read']>) {
        return JsBackend.prototype.readSync.apply(this, args);
      }
    }
    registerBackend('async-only', () => new AsyncOnly(), 1);
    const t = tensor([7], { device: 'async-only' });
    expect(() => t.item()).toThrow("item: device 'async-only' cannot read synchronously; use 'await t.itemAsync()' instead");
    expect(() => t.to('js')).toThrow(/to: device 'async-only' cannot read synchronously.*use 'await t.toAsync\('js'\)' instead/);
    expect(await t.itemAsync()).toBe(7);
    expect(Array.from(await (await t.toAsync('js')).data())).toEqual([7]);
  });

  it("ready('auto') only probes a lazy backend and starts it only when the automatic choice may take it", async () => {
    let soft = 0;
    let hard = 0;
    registerBackend(
      'soft-gpu',
      async () => {
        soft++;
        return new JsBackend();
      },
      400,
      { lazy: true, probe: async () => ({ autoSelectable: false, description: 'software rasteriser' }) },
    );
    registerBackend(
      'hard-gpu',
      async () => {
        hard++;
        return new JsBackend();
      },
      30,
      { lazy: true, probe: async () => ({ autoSelectable: true }) },
    );
    registerBackend('no-gpu', async () => new JsBackend(), 450, {
      lazy: true,
      probe: async () => {
        throw new Error('no adapter; install a driver');
      },
    });
    await ready('auto');
    expect([soft, hard]).toEqual([0, 1]);
    expect(deviceInfo().find((d) => d.name === 'soft-gpu')).toMatchObject({
      state: 'pending',
      autoSelectable: false,
      description: 'software rasteriser',
    });
    expect(deviceInfo().find((d) => d.name === 'no-gpu')).toMatchObject({ state: 'failed', error: 'no adapter; install a driver' });
    expect(() => getBackend('no-gpu')).toThrow("device 'no-gpu' failed to initialise: no adapter; install a driver");
    await ready(['soft-gpu']);
    expect(soft).toBe(1);
  });

  it('a device nobody registered names the package that provides it', () => {
    expect(() => getBackend('cpu')).toThrow(
      /unknown device 'cpu'; its backend registers itself when '@mge\/kernels-cpu' is imported — add import '@mge\/kernels-cpu'/,
    );
    expect(() => setDefaultDevice('webgpu')).toThrow(/setDefaultDevice: unknown device 'webgpu'; .*'@mge\/kernels-webgpu'/);
    expect(() => getBackend('tpu')).toThrow(/^unknown device 'tpu'; registered devices are /);
  });

  it('setDefaultDevice overrides the priorities; unknown names list the registered devices', () => {
    registerBackend('hi', () => new JsBackend(), 500);
    expect(getDefaultDevice()).toBe('hi');
    setDefaultDevice('js');
    expect(getDefaultDevice()).toBe('js');
    expect(tensor([1]).device).toBe('js');
    expect(() => setDefaultDevice('tpu')).toThrow(/setDefaultDevice: unknown device 'tpu'; registered devices are .*js/);
    registerBackend(
      'dead',
      () => {
        throw new Error('gone');
      },
      1,
    );
    expect(() => setDefaultDevice('dead')).toThrow(/device 'dead' failed to initialise: gone/);
  });

  it('MGE_DEVICE overrides the priorities; setDefaultDevice overrides MGE_DEVICE', () => {
    registerBackend('top', () => new JsBackend(), 900);
    process.env.MGE_DEVICE = 'js';
    expect(getDefaultDevice()).toBe('js');
    setDefaultDevice('top');
    expect(getDefaultDevice()).toBe('top');
    resetDefaultDevice();
    process.env.MGE_DEVICE = 'auto';
    expect(getDefaultDevice()).toBe('top');
    process.env.MGE_DEVICE = 'nosuch';
    expect(() => getDefaultDevice()).toThrow(/unknown device 'nosuch'/);
  });

  it('an operator on two devices is an error naming both; to() moves a tensor', () => {
    registerBackend('js2', () => new JsBackend(), 1);
    const a = tensor([1, 2], { device: 'js' });
    const b = tensor([3, 4], { device: 'js2' });
    expect(() => add(a, b)).toThrow(/add: inputs are on different devices, 'js' and 'js2'/);
    const moved = b.to('js');
    expect(moved.device).toBe('js');
    expect(Array.from(add(a, moved).dataSync())).toEqual([4, 6]);
  });

  it('registerBackend validates its arguments', () => {
    expect(() => registerBackend('', () => new JsBackend(), 1)).toThrow(/argument 'name' must be a non-empty string/);
    expect(() => registerBackend('x', 3 as never, 1)).toThrow(/argument 'factory' must be a function, got number/);
    expect(() => registerBackend('x', () => new JsBackend(), Number.NaN)).toThrow(/argument 'priority' must be a finite number, got NaN/);
  });
});
