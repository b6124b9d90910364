import type { Backend, BackendTraits } from './backend.js';

export type BackendFactory = () => (Backend & BackendTraits) | Promise<Backend & BackendTraits>;

export interface BackendOptions {
  /**
   * Start the backend only when it is asked for (getBackend, setDefaultDevice, ready) instead of
   * at registration: WebGPU in Node starts Dawn and a Vulkan driver, which a run on `cpu` must not pay for.
   */
  lazy?: boolean;
  /**
   * For a lazy backend: a cheap question asked by `ready('auto')` instead of starting it — does it
   * exist here, and may the automatic choice take it? Only a backend that may is started.
   */
  probe?: () => Promise<{ autoSelectable: boolean; description?: string }>;
}

interface Entry {
  name: string;
  priority: number;
  factory: BackendFactory;
  lazy: boolean;
  probe?: BackendOptions['probe'];
  probed?: { autoSelectable: boolean; description?: string };
  state: 'pending' | 'initialising' | 'ready' | 'failed';
  backend?: Backend & BackendTraits;
  error?: string;
  promise?: Promise<void>;
}

const entries = new Map<string, Entry>();
let explicitDefault: string | undefined;
const warned = new Set<string>();

/** The package that registers each device MegEngine.ts ships, for errors about a device nobody registered. */
const DEVICE_PACKAGES: Record<string, string> = {
  cpu: '@mge/kernels-cpu',
  webgpu: '@mge/kernels-webgpu',
  wasm: '@mge/kernels-wasm',
};

function unknownDevice(op: string, name: string): Error {
  const registered = [...entries.keys()].join(', ') || 'none';
  const pkg = Object.hasOwn(DEVICE_PACKAGES, name) ? DEVICE_PACKAGES[name] : undefined;
  const hint = pkg
    ? `; its backend registers itself when '${pkg}' is imported — add import '${pkg}', or import from 'megengine', which registers every backend that can run here`
    : '';
  return new Error(`${op}unknown device '${name}'${hint}; registered devices are ${registered}`);
}

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
export function registerBackend(name: string, factory: BackendFactory, priority: number, options: BackendOptions = {}): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`registerBackend: argument 'name' must be a non-empty string, got ${String(name)}`);
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`registerBackend('${name}'): argument 'factory' must be a function, got ${typeof factory}`);
  }
  if (!Number.isFinite(priority)) {
    throw new TypeError(`registerBackend('${name}'): argument 'priority' must be a finite number, got ${priority}`);
  }
  if (options.probe !== undefined && typeof options.probe !== 'function') {
    throw new TypeError(`registerBackend('${name}'): option 'probe' must be a function, got ${typeof options.probe}`);
  }
  const entry: Entry = { name, priority, factory, lazy: options.lazy === true, probe: options.probe, state: 'pending' };
  entries.set(name, entry);
  if (!entry.lazy) initEntry(entry);
}

/**
 * Starts the named backends (every registered one when no names are given, lazy ones included)
 * and waits until they have finished initialising, successfully or not. `ready('auto')` waits only
 * for what the automatic choice of default needs: a lazy backend with a probe is asked the probe's
 * cheap question and started only if it may be chosen (WebGPU on a software adapter stays unstarted).
 * Unknown names are ignored here; using them fails with an error that names the package to import.
 */
export async function ready(names?: readonly string[] | 'auto'): Promise<void> {
  if (names !== undefined && names !== 'auto' && !Array.isArray(names)) {
    throw new TypeError(`ready: argument 'names' must be an array of device names or 'auto', got ${typeof names}`);
  }
  if (names === 'auto') {
    await Promise.all([...entries.values()].map((e) => (e.lazy && e.probe && e.state === 'pending' ? probeEntry(e) : startEntry(e))));
    return;
  }
  const chosen = names === undefined ? [...entries.values()] : names.flatMap((n) => entries.get(n) ?? []);
  await Promise.all(chosen.map(startEntry));
}

async function startEntry(e: Entry): Promise<void> {
  initEntry(e);
  await e.promise;
}

async function probeEntry(e: Entry): Promise<void> {
  try {
    e.probed ??= await e.probe!();
  } catch (err) {
    if (e.state === 'pending') {
      e.state = 'failed';
      e.error = describeError(err);
    }
    return;
  }
  if (e.probed.autoSelectable) await startEntry(e);
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
      description: e.backend?.description ?? e.probed?.description,
      autoSelectable: (e.backend?.autoSelectable ?? e.probed?.autoSelectable) !== false,
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
  if (!e) throw unknownDevice('setDefaultDevice: ', name);
  initEntry(e);
  if (e.state === 'failed') throw new Error(`setDefaultDevice: device '${name}' failed to initialise: ${e.error}`);
  if (e.state === 'initialising') {
    throw new Error(`setDefaultDevice: device '${name}' is still initialising; await ready(['${name}']) first`);
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
  if (!e) throw unknownDevice('', name);
  initEntry(e);
  if (e.state === 'ready') return e.backend!;
  if (e.state === 'failed') throw new Error(`device '${name}' failed to initialise: ${e.error}`);
  throw new Error(`device '${name}' is still initialising; await ready(['${name}']) before using it`);
}

/** For tests: forget the explicit default. */
export function resetDefaultDevice(): void {
  explicitDefault = undefined;
}
