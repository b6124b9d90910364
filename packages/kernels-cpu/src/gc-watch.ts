import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CollectionWatcher, hasCollectionWatcher, setCollectionWatcher } from '@mge/core';

interface GcWatchAddon {
  watch(target: object, id: number): void;
  drain(out: Int32Array): number;
  pending?: ArrayBuffer;
}

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Installs core's collection watcher from the small addon native/gc_watch.c, so buffers of
 * collected tensors return to their backend's pool at core's next allocation even in a
 * synchronous loop that never lets FinalizationRegistry callbacks run. True when a watcher
 * is installed (now or before); false (and nothing changes) when the addon is unavailable,
 * outside Node, or MGE_GC_WATCH=0.
 */
export function installGcWatch(): boolean {
  if (hasCollectionWatcher()) return true;
  if (typeof process === 'undefined' || !process.versions?.node || process.env.MGE_GC_WATCH === '0') return false;
  const path = join(packageDir, 'build', 'Release', 'mge_gc_watch.node');
  if (!existsSync(path)) return false;
  let addon: GcWatchAddon;
  try {
    addon = createRequire(import.meta.url)(path) as GcWatchAddon;
  } catch {
    return false;
  }
  const watcher: CollectionWatcher = {
    watch: addon.watch,
    drain: addon.drain,
    ...(addon.pending ? { pending: new Int32Array(addon.pending) } : {}),
  };
  setCollectionWatcher(watcher);
  return true;
}
