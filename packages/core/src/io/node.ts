/**
 * Checkpoint files on Node. The fs modules are imported when first needed (and through a
 * variable specifier, so bundlers leave them alone): this file is safe to ship to
 * browsers, where `save`/`load` explain that they need Node and point at serialize().
 */
import type { Checkpoint, CheckpointInput, DeserializeOptions, SerializeOptions } from './safetensors.js';
import { parse, serializeAsync } from './safetensors.js';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

let modules: Promise<[Fs, Path]> | null = null;

async function nodeModules(op: string): Promise<[Fs, Path]> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) throw new Error(`${op}: needs Node's file system; in a browser use serialize()/deserialize() with an ArrayBuffer`);
  const fsName = 'node:fs/promises';
  const pathName = 'node:path';
  modules ??= Promise.all([import(/* @vite-ignore */ fsName) as Promise<Fs>, import(/* @vite-ignore */ pathName) as Promise<Path>]);
  return modules;
}

function checkPath(op: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`${op}: argument 'path' must be a non-empty string, got ${String(path)}`);
}

/**
 * Writes a checkpoint in the safetensors format (MegEngine's `save`). The file is
 * written to a temporary name in the same directory, flushed to disk and renamed over
 * `path`, so a crash mid-write leaves the previous file as it was.
 */
export async function save(obj: CheckpointInput, path: string, options: SerializeOptions = {}): Promise<void> {
  checkPath('save', path);
  const bytes = await serializeAsync(obj, options);
  const [fs, p] = await nodeModules('save');
  const target = p.resolve(path);
  const dir = p.dirname(target);
  await removeStaleTemporaries(fs, p, target);
  const tmp = p.join(dir, `.${p.basename(target)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let handle: Awaited<ReturnType<Fs['open']>> | null = null;
  try {
    handle = await fs.open(tmp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
      if (bytesWritten <= 0) throw new Error(`short write (${written} of ${bytes.length} bytes)`);
      written += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(tmp, target);
  } catch (e) {
    await handle?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new Error(`save: could not write '${path}': ${(e as Error).message}; any previous file there is unchanged`, { cause: e });
  }
  // Makes the rename itself durable; some file systems refuse to fsync a directory, which is harmless.
  try {
    const d = await fs.open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {}
}

/**
 * A save killed between writing and renaming leaves `.<name>.<pid>.<stamp>.tmp` next to the
 * file. Such temporaries for `target` are removed when their process is gone (a live one,
 * this process included, may still be writing). Only names of exactly this form are touched;
 * failures are ignored, since cleaning up must never stop a save or a load.
 */
async function removeStaleTemporaries(fs: Fs, p: Path, target: string): Promise<void> {
  const full = p.resolve(target);
  const base = p.basename(full);
  const dir = p.dirname(full);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const prefix = `.${base}.`;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-z]+\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    await fs.rm(p.join(dir, name), { force: true }).catch(() => {});
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** Reads a safetensors checkpoint written by `save` (or by any safetensors writer using F32/I32/BOOL). */
export async function load(path: string, options: Omit<DeserializeOptions, 'source'> = {}): Promise<Checkpoint> {
  checkPath('load', path);
  const [fs, p] = await nodeModules('load');
  let bytes: Uint8Array;
  await removeStaleTemporaries(fs, p, path);
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    throw new Error(`load: cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  return parse('load', bytes, { ...options, source: `'${path}'` });
}
