import { parseCommand } from '../args.js';
import { listDevices, loadBackends } from '../devices.js';
import { EXIT } from '../errors.js';
import { table } from '../format.js';
import type { Io } from '../io.js';

const CMD = 'devices';

/** `mge devices`: every backend, whether it initialised and why not, and which one is the default. */
export async function devicesCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommand(CMD, argv, { json: { type: 'boolean' } }, [0, 0, '']);
  await loadBackends('all');
  const rows = listDevices();
  if (values.json) {
    io.stdout.write(`${JSON.stringify(rows)}\n`);
    return EXIT.ok;
  }
  const body = rows.map((r) => [
    r.isDefault ? `* ${r.name}` : `  ${r.name}`,
    String(r.priority),
    r.state,
    r.state === 'failed'
      ? (r.error ?? 'unknown error')
      : `${r.description ?? ''}${r.state === 'ready' && !r.autoSelectable ? ' — not chosen by --device auto' : ''}`,
  ]);
  const env = process.env.MGE_DEVICE;
  io.stdout.write(
    `${table(['  device', 'priority', 'state', 'details'], body)}\n\n* = default device${env ? ` (MGE_DEVICE=${env})` : ''}\n`,
  );
  return EXIT.ok;
}
