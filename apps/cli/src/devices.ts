import { type DeviceInfo, deviceInfo, getBackend, getDefaultDevice, ready, setDefaultDevice } from '@mge/core';
import { CliError } from './errors.js';

export const DEVICE_CHOICES = ['auto', 'js', 'cpu', 'webgpu'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

/** Backend packages that failed to even import (so never registered), by device name. */
const importErrors = new Map<string, string>();

async function importBackend(name: 'cpu' | 'webgpu'): Promise<void> {
  try {
    if (name === 'cpu') await import('@mge/kernels-cpu');
    else await import('@mge/kernels-webgpu');
  } catch (e) {
    importErrors.set(name, e instanceof Error ? e.message : String(e));
  }
}

/**
 * Registers the backends a choice may need (each backend package registers itself on
 * import) and waits for their initialisation. `js` is built into core; webgpu is only
 * loaded when it may be used, because starting Dawn costs about half a second.
 */
export async function loadBackends(choice: DeviceChoice | 'all'): Promise<void> {
  if (choice === 'cpu' || choice === 'auto' || choice === 'all') await importBackend('cpu');
  if (choice === 'webgpu' || choice === 'auto' || choice === 'all') await importBackend('webgpu');
  // `auto` asks WebGPU only whether its adapter may be chosen; `all` (mge devices) starts every backend.
  await ready(choice === 'all' ? undefined : choice === 'auto' ? 'auto' : [choice]);
}

export interface DeviceRow extends DeviceInfo {
  /** Set when the backend package could not be imported at all. */
  importError?: string;
}

/** Every backend the CLI knows about, registered or not. */
export function listDevices(): DeviceRow[] {
  const rows: DeviceRow[] = deviceInfo();
  for (const [name, error] of importErrors) {
    if (!rows.some((r) => r.name === name)) {
      rows.push({
        name,
        priority: name === 'webgpu' ? 300 : 200,
        state: 'failed',
        error,
        importError: error,
        autoSelectable: false,
        isDefault: false,
      });
    }
  }
  return rows.sort((a, b) => b.priority - a.priority);
}

/**
 * Makes the chosen device the default for new tensors and returns its name; `auto` takes
 * the registry's choice (MGE_DEVICE, else the best backend that initialised).
 */
export function selectDevice(command: string, choice: DeviceChoice): string {
  let name: string;
  try {
    if (choice === 'auto') {
      name = getDefaultDevice();
    } else {
      if (importErrors.has(choice)) throw new Error(`device '${choice}' could not be loaded: ${importErrors.get(choice)}`);
      getBackend(choice);
      name = choice;
    }
    setDefaultDevice(name);
  } catch (e) {
    throw new CliError(`mge ${command}: ${(e as Error).message}`);
  }
  return name;
}

/** Why the devices above the chosen one were not used, for the run's header line. */
export function skippedDevices(chosen: string): string[] {
  const rows = listDevices();
  const chosenRow = rows.find((r) => r.name === chosen);
  if (!chosenRow) return [];
  return rows
    .filter((r) => r.priority > chosenRow.priority)
    .map((r) =>
      r.state === 'failed'
        ? `${r.name}: ${r.error}`
        : !r.autoSelectable
          ? `${r.name}: not chosen automatically (${r.description ?? 'software adapter'})`
          : `${r.name}: ${r.state}`,
    );
}
