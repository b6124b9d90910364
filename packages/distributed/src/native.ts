import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's exports (native/mpi_addon.cc). Buffers are Float32Array, Int32Array or Uint8Array (bool); ops: 0 sum, 1 max, 2 min. */
export interface MpiAddon {
  init(): { rank: number; size: number };
  initialized(): boolean;
  finalize(): void;
  abort(code: number): void;
  /** The last argument of each collective is a communicator handle (0 or absent: the world). */
  barrier(comm?: number): void;
  allReduce(buf: Float32Array | Int32Array | Uint8Array, op: number, comm?: number): void;
  /** Starts an in-place all-reduce; returns a request handle for test/wait. Keep buf alive until wait. */
  iallReduce(buf: Float32Array | Int32Array | Uint8Array, op: number, comm?: number): number;
  /** True once the request is complete (its handle is then freed); also progresses every pending request. */
  test(request: number): boolean;
  /** Blocks until the request completes and frees its handle. */
  wait(request: number): void;
  broadcast(buf: Float32Array | Int32Array | Uint8Array, root: number, comm?: number): void;
  allGather(send: Float32Array | Int32Array | Uint8Array, recv: Float32Array | Int32Array | Uint8Array, comm?: number): void;
  reduceScatter(
    send: Float32Array | Int32Array | Uint8Array,
    recv: Float32Array | Int32Array | Uint8Array,
    op: number,
    comm?: number,
  ): void;
  /** A communicator over these world ranks; called by the members only, all with the same tag. */
  commCreate(ranks: Int32Array, tag: number): number;
  commFree(comm: number): void;
  /** How long one blocking call may wait for the other ranks before this rank exits; 0 disables. */
  setTimeout(seconds: number): void;
  version(): string;
}

const INSTALL_HINT =
  'install Open MPI (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin), then rebuild the addon: pnpm --filter @mge/distributed build:native';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the addon is expected: MGE_MPI_ADDON, else build/Release. */
export function addonPath(): string {
  const env = process.env.MGE_MPI_ADDON;
  return env ? resolve(env) : join(packageDir, 'build', 'Release', 'mge_mpi.node');
}

let cached: MpiAddon | undefined;

/** Loads the addon once; throws an Error that says what to install when it is missing or cannot load. */
export function loadMpi(op: string): MpiAddon {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) throw new Error(`${op}: the MPI addon is not built (${path} is missing); ${INSTALL_HINT}`);
  try {
    cached = createRequire(import.meta.url)(path) as MpiAddon;
  } catch (e) {
    throw new Error(`${op}: the MPI addon failed to load (${e instanceof Error ? e.message : String(e)}); ${INSTALL_HINT}`);
  }
  return cached;
}

/** True when the addon is built and loads (MPI is usable on this machine). */
export function mpiAvailable(): boolean {
  try {
    loadMpi('mpiAvailable');
    return true;
  } catch {
    return false;
  }
}
