/**
 * The playground's entry: registers the webgpu backend (it joins the registry when
 * the browser has an adapter) and the wasm backend (the default without a hardware GPU), loads the bundled digits and weights, and wires the tabs.
 */
import '@mge/kernels-webgpu';
import { type DeviceInfo, deviceInfo, getDefaultDevice, ready, setDefaultDevice } from '@mge/core';
import { parseMnistCache, unpackMnistCache } from '@mge/data';
import mnistUrl from '@mge/data/assets/mnist-10k.mnz?url';
import { compileKernels } from '@mge/kernels-wasm';
import weightsUrl from '../assets/lenet-mnist.safetensors?url';
import { LenetSession } from './lib/lenet-session.js';
import './style.css';
import type { App } from './ui/app.js';
import { BenchTab } from './ui/bench-tab.js';
import { BuildTab } from './ui/build-tab.js';
import { $, errorText, h } from './ui/dom.js';
import { StateTab } from './ui/state-tab.js';
import { setupTabs } from './ui/tabs.js';
import { TrainTab } from './ui/train-tab.js';
import { TryTab } from './ui/try-tab.js';

async function bytesOf(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} failed: ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** What kind of speed a device offers, for the device menu. */
export function speedClass(d: DeviceInfo): string {
  if (d.name === 'webgpu') return d.autoSelectable ? 'hardware GPU' : 'software GPU, slow';
  if (d.name === 'wasm') return 'WebAssembly SIMD CPU';
  if (d.name === 'js') return 'plain JavaScript, slowest';
  return d.description ?? d.name;
}

function describeDevice(name: string): string {
  const info = deviceInfo().find((d) => d.name === name);
  return info?.description ? `${name} · ${info.description}` : name;
}

async function boot(): Promise<void> {
  setupTabs();
  // The digits come packed (1.2 MB instead of 7.85 MB) and are unpacked here, once; the
  // training worker gets these bytes instead of fetching its own copy. The wasm kernels are
  // compiled here once too (the backend instantiates this module) and handed to the workers.
  const [wasmModule, , mnistBytes, bundledWeights] = await Promise.all([
    compileKernels().catch(() => null),
    ready(),
    bytesOf(mnistUrl).then((b) => unpackMnistCache(b, 'bundled MNIST')),
    bytesOf(weightsUrl),
  ]);
  const mnist = parseMnistCache(mnistBytes, 'bundled MNIST');

  const modelListeners: (() => void | Promise<void>)[] = [];
  const deviceListeners: ((d: string) => void | Promise<void>)[] = [];
  const session = new LenetSession();
  session.load(bundledWeights, 'bundled lenet-mnist.safetensors');
  const app: App = {
    session,
    mnist,
    mnistBytes,
    bundledWeights,
    wasmModule,
    onModelChange: (fn) => modelListeners.push(fn),
    modelChanged: async () => {
      for (const fn of modelListeners) await fn();
    },
    onDeviceChange: (fn) => deviceListeners.push(fn),
  };

  const build = new BuildTab($('#panel-build'));
  new StateTab($('#panel-state'), app);
  new TrainTab($('#panel-train'), app, getDefaultDevice());
  new TryTab($('#panel-try'), app);
  new BenchTab($('#panel-bench'), wasmModule);

  const select = $('#device') as HTMLSelectElement;
  const active = $('#active-device');
  const showActive = () => {
    const d = getDefaultDevice();
    active.textContent = describeDevice(d);
    document.body.dataset.device = d;
    select.value = d;
  };
  select.replaceChildren(
    ...deviceInfo().map((d) =>
      h(
        'option',
        { value: d.name, disabled: d.state !== 'ready', title: d.error ?? d.description ?? '' },
        d.state === 'ready' ? `${d.name} — ${speedClass(d)}` : `${d.name} — unavailable`,
      ),
    ),
  );
  // Why a device is unavailable or not the default, on the page rather than in a tooltip.
  const notes = deviceInfo()
    .map((d) => (d.state === 'failed' ? `${d.name} is unavailable: ${d.error}` : d.note))
    .filter((n): n is string => Boolean(n));
  select.after(h('span', { id: 'device-notes', class: 'device-notes' }, notes.join(' · ')));
  select.disabled = false;
  select.addEventListener('change', async () => {
    const target = select.value;
    select.disabled = true;
    active.textContent = `switching to ${target}…`;
    try {
      setDefaultDevice(target);
      await session.moveToDefault();
      build.render();
      for (const fn of deviceListeners) await fn(target);
      await app.modelChanged();
    } catch (e) {
      active.textContent = `could not switch to ${target}: ${errorText(e)}`;
      select.disabled = false;
      return;
    }
    select.disabled = false;
    showActive();
  });
  showActive();
  await app.modelChanged();
  $('#boot').remove();
  document.body.dataset.ready = 'true';
}

boot().catch((e) => {
  const boot = document.getElementById('boot');
  if (boot) {
    boot.textContent = `The playground could not start: ${errorText(e)}`;
    boot.classList.add('error');
  }
  console.error(e);
});
