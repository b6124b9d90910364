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
    registerBackend('broken', () => {
      throw new Error('native addon not built (run pnpm build)');
    }, 250);
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
    registerBackend(
      'software-gpu',
      () => Object.assign(new JsBackend(), { autoSelectable: false, description: 'SwiftShader' }),
      1000,
    );
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
    expect(() => getBackend('later')).toThrow(/still initialising; await ready\(\)/);
    await ready();
    expect(deviceInfo().find((d) => d.name === 'later')?.state).toBe('ready');
    registerBackend('later-broken', async () => {
      throw new Error('no adapter');
    }, 5);
    await ready();
    expect(deviceInfo().find((d) => d.name === 'later-broken')).toMatchObject({ state: 'failed', error: 'no adapter' });
  });

  it('setDefaultDevice overrides the priorities; unknown names list the registered devices', () => {
    registerBackend('hi', () => new JsBackend(), 500);
    expect(getDefaultDevice()).toBe('hi');
    setDefaultDevice('js');
    expect(getDefaultDevice()).toBe('js');
    expect(tensor([1]).device).toBe('js');
    expect(() => setDefaultDevice('tpu')).toThrow(/setDefaultDevice: unknown device 'tpu'; registered devices are .*js/);
    registerBackend('dead', () => {
      throw new Error('gone');
    }, 1);
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
