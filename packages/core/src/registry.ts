import type { Backend, BackendTraits } from './backend.js';

export type BackendFactory = () => (Backend & BackendTraits) | Promise<Backend & BackendTraits>;

interface Entry {
  name: string;
  priority: number;
  factory: BackendFactory;
  state: 'pending' | 'initialising' | 'ready' | 'failed';
  backend?: Backend & BackendTraits;
  error?: string;
  promise?: Promise<void>;
}

const entries = new Map<string, Entry>();
let explicitDefault: string | undefined;
const warned = new Set<string>();

function quiet(): boolean {
  return typeof process !== 'undefined' && process.env?.MGE_QUIET === '1';
}

function warnOnce(name: string, message: string): void {
  if (warned.has(name)) return;
  warned.add(name);
  if (!quiet()) console.warn(`[mge] backend '${name}' is unavailable: ${message}`);
}

/** Why a ready backend that outranks the default is passed over (a software GPU adapter). */
function passedOverNote(e: Entry, def: string): string {
  return `'${e.name}' (${e.backend?.description ?? 'no description'}) is not chosen by default (software adapter); the default device is '${def}'`;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function settle(entry: Entry, result: unknown): void {
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    entry.state = 'initialising';
    entry.promise = (result as Promise<Backend & BackendTraits>).then(
      (b) => {
        entry.backend = b;
        entry.state = 'ready';
      },
      (e) => {
        entry.state = 'failed';
        entry.error = describeError(e);
      },
    );
  } else {
    entry.backend = result as Backend & BackendTraits;
    entry.state = 'ready';
  }
}

function initEntry(entry: Entry): void {
  if (entry.state !== 'pending') return;
  try {
    settle(entry, entry.factory());
  } catch (e) {
    entry.state = 'failed';
    entry.error = describeError(e);
  }
}

/**
 * Registers a backend under a device name. Higher priority wins the default
 * (MegEngine.ts uses webgpu 300, cpu 200, js 100). Synchronous factories run at
 * once; asynchronous ones (WebGPU) start at once and join the choice of default
 * when they resolve — `await ready()` waits for them.
 */
export function registerBackend(name: string, factory: BackendFactory, priority: number): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`registerBackend: argument 'name' must be a non-empty string, got ${String(name)}`);
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`registerBackend('${name}'): argument 'factory' must be a function, got ${typeof factory}`);
  }
  if (!Number.isFinite(priority)) {
    throw new TypeError(`registerBackend('${name}'): argument 'priority' must be a finite number, got ${priority}`);
  }
  const entry: Entry = { name, priority, factory, state: 'pending' };
  entries.set(name, entry);
  initEntry(entry);
}

/** Waits until every registered backend has finished initialising (successfully or not). */
export async function ready(): Promise<void> {
  await Promise.all([...entries.values()].map((e) => e.promise));
}

export interface DeviceInfo {
  name: string;
  priority: number;
  state: 'pending' | 'initialising' | 'ready' | 'failed';
  error?: string;
  description?: string;
  autoSelectable: boolean;
  isDefault: boolean;
  /** Set when this ready backend outranks the default but is not auto-selected, saying so. */
  note?: string;
}

/** Every registered backend, highest priority first, with its state and why it failed. */
export function deviceInfo(): DeviceInfo[] {
  const def = safeDefault();
  return [...entries.values()]
    .sort((a, b) => b.priority - a.priority)
    .map((e) => ({
      name: e.name,
      priority: e.priority,
      state: e.state,
      error: e.error,
      description: e.backend?.description,
      autoSelectable: e.backend?.autoSelectable !== false,
      isDefault: e.name === def,
      note:
        def && e.state === 'ready' && e.backend?.autoSelectable === false && e.priority > (entries.get(def)?.priority ?? 0)
          ? passedOverNote(e, def)
          : undefined,
    }));
}

/** Names of the devices whose backend initialised, highest priority first. */
export function availableDevices(): string[] {
  return [...entries.values()]
    .filter((e) => e.state === 'ready')
    .sort((a, b) => b.priority - a.priority)
    .map((e) => e.name);
}

function envDevice(): string | undefined {
  if (typeof process === 'undefined') return undefined;
  const v = process.env?.MGE_DEVICE;
  return v && v !== 'auto' ? v : undefined;
}

function safeDefault(): string | undefined {
  try {
    return getDefaultDevice();
  } catch {
    return undefined;
  }
}

/** MegEngine's set_default_device. */
export function setDefaultDevice(name: string): void {
  const e = entries.get(name);
  if (!e) {
    throw new Error(
      `setDefaultDevice: unknown device '${name}'; registered devices are ${[...entries.keys()].join(', ') || 'none'}`,
    );
  }
  if (e.state === 'failed') throw new Error(`setDefaultDevice: device '${name}' failed to initialise: ${e.error}`);
  if (e.state === 'initialising') {
    throw new Error(`setDefaultDevice: device '${name}' is still initialising; await ready() first`);
  }
  explicitDefault = name;
}

/**
 * The device new tensors go to: setDefaultDevice's choice, else MGE_DEVICE, else the
 * highest-priority backend that initialised and may be auto-selected.
 */
export function getDefaultDevice(): string {
  const chosen = explicitDefault ?? envDevice();
  if (chosen) {
    getBackend(chosen);
    return chosen;
  }
  const best = [...entries.values()]
    .filter((e) => e.state === 'ready' && e.backend!.autoSelectable !== false)
    .sort((a, b) => b.priority - a.priority)[0];
  if (!best) throw new Error('getDefaultDevice: no backend is available; register one (the js backend is built in)');
  for (const e of entries.values()) {
    if (e.state === 'failed' && e.priority > best.priority) warnOnce(e.name, e.error ?? 'unknown error');
    if (e.state === 'ready' && e.backend?.autoSelectable === false && e.priority > best.priority && !warned.has(e.name)) {
      warned.add(e.name);
      if (!quiet()) console.info(`[mge] ${passedOverNote(e, best.name)}`);
    }
  }
  return best.name;
}

/** The backend of a device; throws an error naming the device and why it is unusable. */
export function getBackend(name: string): Backend & BackendTraits {
  const e = entries.get(name);
  if (!e) {
    throw new Error(`unknown device '${name}'; registered devices are ${[...entries.keys()].join(', ') || 'none'}`);
  }
  if (e.state === 'ready') return e.backend!;
  if (e.state === 'failed') throw new Error(`device '${name}' failed to initialise: ${e.error}`);
  throw new Error(`device '${name}' is still initialising; await ready() before using it`);
}

/** For tests: forget the explicit default. */
export function resetDefaultDevice(): void {
  explicitDefault = undefined;
}
