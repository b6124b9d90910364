/**
 * Loads the kernel module (built by scripts/build-wasm.sh from @mge/kernels-cpu's kernels) and
 * exposes its C ABI (native/wasm_api.cc). Pointers are byte offsets into `memory`. Two builds:
 * wasm/mge_kernels_mt.wasm runs kernels on several threads where the realm may share memory
 * (Node; a cross-origin isolated page), wasm/mge_kernels.wasm on one thread everywhere else.
 */
import { isThreadedModule, sharedMemory, startThreads, type ThreadExports, threadsUnavailable, wantedThreads } from './threads.js';

export interface KernelExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  mge_alloc(bytes: number): number;
  mge_free(ptr: number): void;
  mge_gemm_isa(): number;
  mge_unary(op: number, dtype: number, x: number, out: number, outDtype: number, n: number): void;
  mge_binary(op: number, dtype: number, a: number, b: number, out: number, params: number): void;
  mge_where(dtype: number, cond: number, a: number, b: number, out: number, params: number): void;
  mge_cast(from: number, x: number, to: number, out: number, n: number): void;
  mge_reduce(op: number, dtype: number, x: number, out: number, params: number): void;
  mge_arg_reduce(isMax: number, dtype: number, x: number, outer: number, len: number, inner: number, out: number): void;
  mge_strided(elem: number, x: number, out: number, offset: number, params: number): void;
  mge_concat(elem: number, count: number, xs: number, out: number, params: number): void;
  mge_pad(dtype: number, x: number, out: number, value: number, params: number): void;
  mge_matmul(a: number, b: number, out: number, params: number, bias: number, relu: number): void;
  mge_conv2d(x: number, w: number, y: number, params: number, bias: number, relu: number): void;
  mge_conv2d_backward_input(dy: number, w: number, dx: number, params: number): void;
  mge_conv2d_backward_filter(x: number, dy: number, dw: number, params: number): void;
  mge_pool2d(isMax: number, x: number, y: number, params: number): void;
  mge_pool2d_backward(isMax: number, x: number, dy: number, dx: number, params: number): void;
}

/** Where the single-thread module is: in this package (Vite and other bundlers rewrite this URL). */
export const wasmUrl: URL = new URL('../wasm/mge_kernels.wasm', import.meta.url);
/** Where the threaded module is. */
export const threadedWasmUrl: URL = new URL('../wasm/mge_kernels_mt.wasm', import.meta.url);

/** Which module this realm loads by default, and why. */
export function defaultBuild(): { build: 'threads' | 'single'; why: string } {
  const wanted = wantedThreads();
  if (wanted <= 1) return { build: 'single', why: '1 thread asked for' };
  const no = threadsUnavailable();
  return no ? { build: 'single', why: no } : { build: 'threads', why: `${wanted} threads` };
}

/** Thrown from the module's abort(): a kernel hit a condition its caller should have excluded. */
export class WasmAbort extends Error {}

type NodeFs = { readFileSync(path: URL): Uint8Array };

async function bytesOf(source: URL | ArrayBuffer | Uint8Array | undefined): Promise<ArrayBuffer | Uint8Array | Response> {
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return source;
  const url = source ?? (defaultBuild().build === 'threads' ? threadedWasmUrl : wasmUrl);
  // Node's fetch cannot read file: URLs; its fs comes from the process, so bundles for the
  // browser never see a `node:` import.
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (url.protocol === 'file:') {
    if (!getBuiltin) throw new Error(`cannot read ${url.href}: this runtime has no process.getBuiltinModule (Node ≥ 20.16)`);
    return (getBuiltin('node:fs') as NodeFs).readFileSync(url);
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetching ${url.href} failed: HTTP ${res.status}`);
  return res;
}

/** True when this engine validates a module using WebAssembly SIMD (v128). */
export function simdSupported(): boolean {
  // (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)) — a SIMD-only opcode.
  const probe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
  ]);
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
}

/** Where a module's bytes come from, or the module itself, already compiled. */
export type KernelSource = URL | ArrayBuffer | Uint8Array | WebAssembly.Module;

let compiled: Promise<WebAssembly.Module> | undefined;

function checkEngine(): void {
  if (typeof WebAssembly !== 'object') throw new Error('this runtime has no WebAssembly');
  if (!simdSupported()) throw new Error('this runtime lacks WebAssembly SIMD (v128), which the wasm kernels need');
}

async function compile(source: URL | ArrayBuffer | Uint8Array | undefined): Promise<WebAssembly.Module> {
  checkEngine();
  const bytes = await bytesOf(source);
  if (!(bytes instanceof Response)) return WebAssembly.compile(bytes as BufferSource);
  // Streaming compilation needs the application/wasm MIME type; other servers get the bytes compiled.
  return bytes.headers.get('content-type')?.startsWith('application/wasm')
    ? WebAssembly.compileStreaming(bytes)
    : WebAssembly.compile(await bytes.arrayBuffer());
}

/**
 * The kernel module, fetched and compiled once per realm (the `wasm` backend instantiates this
 * one): the threaded build where defaultBuild() says so, else the single-thread one. A page hands it to its workers with postMessage, so they neither fetch nor compile it again:
 * the worker passes it to `useCompiledKernels` before `ready()`.
 */
export function compileKernels(): Promise<WebAssembly.Module> {
  compiled ??= compile(undefined).catch((e: unknown) => {
    compiled = undefined;
    throw e;
  });
  return compiled;
}

/**
 * Makes the `wasm` backend of this realm instantiate `module` (from another realm's
 * `compileKernels`). A threaded module in a realm that cannot share memory is refused.
 */
export function useCompiledKernels(module: WebAssembly.Module): void {
  if (!(module instanceof WebAssembly.Module))
    throw new TypeError(`useCompiledKernels: module must be a WebAssembly.Module, got ${describe(module)}`);
  const no = isThreadedModule(module) ? threadsUnavailable() : undefined;
  if (no) throw new Error(`useCompiledKernels: module is the threaded build, which this realm cannot run: ${no}`);
  compiled = Promise.resolve(module);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return (v as object).constructor?.name ?? 'an object';
}

/** An instance of the kernel module, with the threads it runs on. */
export interface LoadedKernels {
  kernels: KernelExports;
  /** 'threads': mge_kernels_mt.wasm over a shared memory; 'single': mge_kernels.wasm. */
  build: 'threads' | 'single';
  /** Threads taking part in a kernel (1 for the single build). */
  threads: number;
  /** Why fewer threads than asked for run (a worker failed to start). */
  failure?: string;
}

/**
 * Instantiates the kernel module. Without `source`, the realm's one compiled module
 * (`compileKernels`); otherwise `source`: a URL, its bytes, or a compiled module. A threaded
 * module gets a shared memory and `threads - 1` workers (default wantedThreads()).
 */
export async function instantiateKernels(source?: KernelSource, threads = wantedThreads()): Promise<LoadedKernels> {
  checkEngine();
  const module = source instanceof WebAssembly.Module ? source : source === undefined ? await compileKernels() : await compile(source);
  const threaded = isThreadedModule(module);
  const no = threaded ? threadsUnavailable() : undefined;
  if (no) throw new Error(`the threaded wasm kernel module cannot run here: ${no}`);
  const memory = threaded ? sharedMemory() : undefined;
  const imports = {
    env: { emscripten_notify_memory_growth: () => {}, ...(memory ? { memory } : {}) },
    wasi_snapshot_preview1: {
      proc_exit: (code: number) => {
        throw new WasmAbort(`the wasm kernel module aborted (exit code ${code})`);
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  const k = instance.exports as unknown as KernelExports & ThreadExports;
  // The threaded module's thread-locals need their block before any code (constructors included) touches them.
  if (memory && !k.mge_thread_init()) throw new RangeError('the wasm kernel module ran out of memory for its thread-local block');
  k._initialize();
  if (!memory) return { kernels: k, build: 'single', threads: 1 };
  // The exports' `memory` is the imported one; the backend reads it from there.
  const kernels = Object.assign(Object.create(k) as KernelExports, { memory });
  const started = await startThreads(module, memory, k, Math.max(1, threads));
  return { kernels, build: 'threads', ...started };
}

/** Instantiates the kernel module (see instantiateKernels) and returns its exports. */
export async function loadKernels(source?: KernelSource): Promise<KernelExports> {
  return (await instantiateKernels(source)).kernels;
}
