/**
 * Where the GPU object comes from: `navigator.gpu` in browsers and workers, the
 * `webgpu` npm package (Dawn) in Node. Node never touches `navigator`.
 */

import { installDawnEventPump } from './dawn-events.js';

/**
 * Dawn's GPU object must outlive every adapter and device made from it: when the
 * object `create([])` returned was collected, later calls segfaulted. Keeping it
 * at module level pins it for the life of the process.
 */
let nodeGpu: GPU | undefined;

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string }; release?: { name?: string } } }).process;
  return p?.versions?.node !== undefined && p.release?.name === 'node';
}

/**
 * GPU buffers are released by core once their tensors are collected. A FinalizationRegistry
 * reports that only when the event loop turns, so a synchronous training loop would keep
 * every buffer; @mge/kernels-cpu's collection watcher reports it at core's next allocation.
 * It is an optional dependency: without it, memory stays flat only in loops that yield.
 */
async function installGcWatch(): Promise<void> {
  const spec = '@mge/kernels-cpu/gc-watch';
  try {
    const mod = (await import(/* @vite-ignore */ spec)) as { installGcWatch: () => boolean };
    mod.installGcWatch();
  } catch {
    // not installed or not built: the FinalizationRegistry path stays
  }
}

export async function getGpu(): Promise<GPU> {
  if (isNode()) {
    if (!nodeGpu) {
      // A non-literal specifier keeps browser bundlers from trying to bundle the native addon.
      const spec = 'webgpu';
      let mod: { create: (flags: string[]) => GPU };
      try {
        mod = (await import(/* @vite-ignore */ spec)) as typeof mod;
      } catch (e) {
        throw new Error(`webgpu: cannot load the 'webgpu' package (Dawn for Node): ${(e as Error).message}`);
      }
      installDawnEventPump();
      nodeGpu = mod.create([]);
      await installGcWatch();
    }
    return nodeGpu;
  }
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav?.gpu) {
    throw new Error(
      'webgpu: navigator.gpu is undefined; this browser has no WebGPU, or the page is not a secure context (https or localhost)',
    );
  }
  return nav.gpu;
}
