/**
 * The threaded build (wasm/mge_kernels_mt.wasm): one instance per thread over one shared
 * WebAssembly.Memory. The main instance runs the kernels; each worker (a Web Worker, or a Node
 * worker_thread) instantiates the same module, takes its own stack and thread-local block, and
 * waits inside wasm for the row ranges of a parallel job (kernels-cpu's thread_pool_wasm.cc).
 */
import type { KernelExports } from './module.js';

/** The threaded module's extra exports (native/threads_wasm.cc and emscripten's stack helpers). */
export interface ThreadExports {
  mge_thread_init(): number;
  mge_set_threads(n: number, canWait: number): void;
  mge_threads(): number;
  mge_worker_run(): void;
  mge_worker_failed(): void;
  stackRestore(top: number): void;
}

// Must match build-wasm.sh: -sINITIAL_MEMORY=33554432 (512 pages), -sMAXIMUM_MEMORY=4 GiB.
const INITIAL_PAGES = 512;
const MAXIMUM_PAGES = 65536;
const WORKER_STACK = 1 << 20;
const READY_TIMEOUT_MS = 30_000;

type Env = {
  process?: { versions?: { node?: string }; env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
};

function nodeProcess(): Env['process'] | undefined {
  const p = (globalThis as Env).process;
  return p?.versions?.node ? p : undefined;
}

/**
 * Why this realm cannot run the threaded module, or undefined when it can: Node always can; a
 * browser needs SharedArrayBuffer, which it gives only to cross-origin isolated pages (served
 * with COOP `same-origin` and COEP `require-corp`).
 */
export function threadsUnavailable(): string | undefined {
  const node = nodeProcess();
  if (!node && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true)
    return 'the page is not cross-origin isolated (COOP/COEP headers)';
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is unavailable';
  if (node) return node.getBuiltinModule ? undefined : 'this Node has no process.getBuiltinModule (Node ≥ 20.16)';
  if (typeof Worker !== 'function') return 'this realm cannot start workers';
  return undefined;
}

let requested: number | undefined;

/**
 * Sets how many threads the `wasm` backend uses (1 = the single-thread module), before it
 * loads. Default: MGE_WASM_THREADS or MGE_NUM_THREADS in Node, else the number of logical CPUs,
 * at most 8.
 */
export function setWasmThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`setWasmThreads: n must be an integer in [1, 64], got ${String(n)}`);
  requested = n;
}

/** The thread count the next load asks for (see setWasmThreads). */
export function wantedThreads(): number {
  if (requested !== undefined) return requested;
  const node = nodeProcess();
  const env = node?.env?.MGE_WASM_THREADS ?? node?.env?.MGE_NUM_THREADS;
  if (env !== undefined && /^\d+$/.test(env) && Number(env) >= 1) return Math.min(64, Number(env));
  let cpus = 1;
  if (node) {
    const os = node.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
    cpus = os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
  } else {
    cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  }
  return Math.max(1, Math.min(8, cpus));
}

/** True when `module` is the threaded build (it imports its memory). */
export function isThreadedModule(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
}

export function sharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
}

// The worker's body, the same text in both hosts; `post` answers the page once the instance runs.
const WORKER_MAIN = `
function start(m, post) {
  const imports = {
    env: { memory: m.memory, emscripten_notify_memory_growth() {} },
    wasi_snapshot_preview1: { proc_exit(code) { throw new Error('the wasm kernel module aborted (exit code ' + code + ') in a worker'); } },
  };
  WebAssembly.instantiate(m.module, imports).then((inst) => {
    const e = inst.exports;
    e.stackRestore(m.stackTop);
    if (!e.mge_thread_init()) throw new Error('out of memory for the thread-local block');
    post({ ready: true });
    try {
      e.mge_worker_run();
    } finally {
      e.mge_worker_failed(); // it returns only by throwing: whoever waits for this worker must not wait forever
    }
  }).catch((err) => post({ error: String((err && err.message) || err) }));
}`;
const NODE_WORKER = `${WORKER_MAIN}
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (m) => start(m, (msg) => parentPort.postMessage(msg)));`;
const WEB_WORKER = `${WORKER_MAIN}
self.onmessage = (ev) => { self.onmessage = null; start(ev.data, (msg) => self.postMessage(msg)); };`;

interface Port {
  post(msg: unknown): void;
  onReply(cb: (msg: { ready?: boolean; error?: string }) => void): void;
  ready(): void;
  kill(): void;
}

type NodeWorker = {
  postMessage(m: unknown): void;
  once(ev: string, cb: (v: unknown) => void): void;
  unref(): void;
  terminate(): Promise<number>;
};

function spawn(): Port {
  const node = nodeProcess();
  if (node) {
    const wt = node.getBuiltinModule?.('node:worker_threads') as { Worker: new (code: string, o: object) => NodeWorker };
    // No execArgv: the parent's flags (--input-type=module, loaders) would change how the worker's text is read.
    const w = new wt.Worker(NODE_WORKER, { eval: true, name: 'mge-wasm-kernels', execArgv: [] });
    return {
      post: (m) => w.postMessage(m),
      onReply: (cb) => {
        w.once('message', (m) => cb(m as { ready?: boolean; error?: string }));
        w.once('error', (e) => cb({ error: String((e as Error)?.message ?? e) }));
      },
      // The worker never returns from mge_worker_run; it must not keep the process alive.
      ready: () => w.unref(),
      kill: () => void w.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }));
  const w = new Worker(url, { name: 'mge-wasm-kernels' });
  URL.revokeObjectURL(url);
  return {
    post: (m) => w.postMessage(m),
    onReply: (cb) => {
      w.onmessage = (ev) => cb(ev.data);
      w.onerror = (ev) => cb({ error: ev.message || 'the worker failed to start' });
    },
    ready: () => {},
    kill: () => w.terminate(),
  };
}

function startWorker(module: WebAssembly.Module, memory: WebAssembly.Memory, stackTop: number): Promise<Port> {
  const port = spawn();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      port.kill();
      reject(new Error(`a kernel worker did not start within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    port.onReply((msg) => {
      clearTimeout(timer);
      if (msg.ready) {
        port.ready();
        resolve(port);
      } else {
        port.kill();
        reject(new Error(`a kernel worker failed: ${msg.error ?? 'no reason given'}`));
      }
    });
    port.post({ module, memory, stackTop });
  });
}

/**
 * Starts `threads - 1` workers on the main instance `k` of the threaded module and returns how
 * many threads take part in a job (1 + the workers that started) and, if some did not start,
 * why. Each worker's stack is a block of the shared heap, never freed (the workers live as long
 * as the realm).
 */
export async function startThreads(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  k: KernelExports & ThreadExports,
  threads: number,
): Promise<{ threads: number; failure?: string }> {
  const jobs: Promise<Port>[] = [];
  for (let i = 1; i < threads; i++) {
    const stack = k.mge_alloc(WORKER_STACK);
    if (stack === 0) break;
    jobs.push(startWorker(module, memory, stack + WORKER_STACK));
  }
  const settled = await Promise.allSettled(jobs);
  const started = settled.filter((r) => r.status === 'fulfilled').length;
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  // A browser page's main thread may not block in Atomics.wait; a worker or Node's main thread may.
  const canWait = nodeProcess() !== undefined || typeof (globalThis as { window?: unknown }).window === 'undefined';
  k.mge_set_threads(1 + started, canWait ? 1 : 0);
  return { threads: 1 + started, failure: failed ? String((failed.reason as Error)?.message ?? failed.reason) : undefined };
}
