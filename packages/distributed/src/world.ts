import { commOf, type Group } from './group.js';
import { loadMpi } from './native.js';

/**
 * The process group: MPI_COMM_WORLD. Under mpirun/srun it is initialized on first use (or by
 * init()); a plain `node` process is a world of one and never touches MPI unless asked to.
 */
let world: { rank: number; size: number } | null = null;

/** True when this process was started by an MPI launcher (mpirun, mpiexec, srun --mpi=pmix). */
export function launchedByMpi(): boolean {
  const e = process.env;
  return e.OMPI_COMM_WORLD_SIZE !== undefined || e.PMIX_RANK !== undefined || e.PMI_SIZE !== undefined || e.PMI_RANK !== undefined;
}

/**
 * Joins the MPI world (MegEngine's init_process_group; the launcher supplies address and size).
 * Idempotent. From then on, a non-zero exit of this process (an uncaught exception included)
 * calls MPI_Abort, so the other ranks stop within seconds instead of waiting in a collective.
 * `expectedWorldSize`, when given, must equal the launcher's `-n`. `timeout` (seconds, default
 * MGE_DIST_TIMEOUT or 600) bounds how long one collective may wait for the other ranks.
 */
export function init(options: { expectedWorldSize?: number; timeout?: number } = {}): { rank: number; size: number } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`init: argument 'options' must be an object, got ${String(options)}`);
  }
  const expected = options.expectedWorldSize;
  if (expected !== undefined && (!Number.isInteger(expected) || expected < 1)) {
    throw new TypeError(`init: 'expectedWorldSize' must be a positive integer, got ${String(expected)}`);
  }
  if (options.timeout !== undefined) checkTimeout('init', options.timeout);
  const w = join('init');
  if (options.timeout !== undefined) setCollectiveTimeout(options.timeout);
  if (expected !== undefined && expected !== w.size) {
    throw new Error(`init: expected a world of ${expected} processes, but the launcher started ${w.size} (mpirun -n ${w.size})`);
  }
  return { ...w };
}

function join(op: string): { rank: number; size: number } {
  if (!world) {
    const mpi = loadMpi(op);
    world = mpi.init();
    const env = process.env.MGE_DIST_TIMEOUT;
    if (env !== undefined && env !== '') {
      const t = Number(env);
      if (!(t >= 0)) throw new TypeError(`${op}: MGE_DIST_TIMEOUT must be a non-negative number of seconds, got '${env}'`);
      mpi.setTimeout(t);
    }
    // An uncaught error is printed here, before MPI_Abort ends the process: for an ES module
    // Node would print it only after the 'exit' handlers. An application that handles uncaught
    // exceptions itself keeps running.
    process.on('uncaughtExceptionMonitor', (err) => {
      if (!mpi.initialized() || process.listenerCount('uncaughtException') > 0) return;
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`[@mge/distributed] rank ${world?.rank} of ${world?.size}: uncaught ${text}\naborting every rank (MPI_Abort)\n`);
      mpi.abort(1);
    });
    process.on('exit', (code) => {
      if (!mpi.initialized()) return;
      if (code !== 0) {
        process.stderr.write(
          `[@mge/distributed] rank ${world?.rank} of ${world?.size} is exiting with code ${code}; aborting every rank (MPI_Abort)\n`,
        );
        mpi.abort(code);
      } else {
        mpi.finalize();
      }
    });
  }
  return world;
}

function checkTimeout(op: string, seconds: number): void {
  if (typeof seconds !== 'number' || !(seconds >= 0) || !Number.isFinite(seconds)) {
    throw new TypeError(`${op}: 'timeout' must be a non-negative number of seconds (0 disables), got ${String(seconds)}`);
  }
}

/**
 * How long one collective (or MPI_Finalize at exit) may wait for the other ranks before this rank
 * prints which operation was waiting and exits, which makes mpirun stop every rank: a rank that
 * stopped calling collectives, or calls them in another order, cannot hang the job. 0 disables.
 */
export function setCollectiveTimeout(seconds: number): void {
  checkTimeout('setCollectiveTimeout', seconds);
  requireWorld('setCollectiveTimeout');
  loadMpi('setCollectiveTimeout').setTimeout(seconds);
}

/** Initializes when launched by MPI; a plain process stays a world of one. */
function current(): { rank: number; size: number } | null {
  if (!world && launchedByMpi()) join('distributed');
  return world;
}

/** For collectives: joins the world (a singleton MPI world when not launched by mpirun). */
export function requireWorld(op: string): { rank: number; size: number } {
  return world ?? join(op);
}

/** This process's rank, 0 when not distributed. */
export function getRank(): number {
  return current()?.rank ?? 0;
}

/** The number of processes, 1 when not distributed. */
export function getWorldSize(): number {
  return current()?.size ?? 1;
}

/** True when the MPI world is initialized (the process was launched by mpirun, or init() was called). */
export function isDistributed(): boolean {
  return current() !== null;
}

/** Blocks until every rank (of `group`, default all) reaches it. */
export function barrier(group?: Group): void {
  const { handle } = commOf('barrier', group);
  loadMpi('barrier').barrier(handle);
}

/** Ends the job: every rank stops now, with `code` (MegEngine users call it on a fatal error on one rank). */
export function abort(code = 1): never {
  if (!Number.isInteger(code) || code < 1 || code > 255)
    throw new RangeError(`abort: argument 'code' must be an integer in [1, 255], got ${String(code)}`);
  // outside an MPI world there is no other rank to stop
  if (current()) loadMpi('abort').abort(code);
  process.exit(code);
}
