import type { BackendMemory } from './backend.js';
import { availableDevices, getBackend } from './registry.js';

/** Live and pooled device memory of every available backend. */
export function memory(): Record<string, BackendMemory> {
  const out: Record<string, BackendMemory> = {};
  for (const d of availableDevices()) out[d] = getBackend(d).memory();
  return out;
}
