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
