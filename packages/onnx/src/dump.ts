import type { Graph, NamedTensors } from '@mge/jit';
import { type ToOnnxOptions, toOnnx } from './writer.js';

/** What `dump` needs of a traced function (@mge/jit's Traced): its recorded graph. */
export interface Dumpable {
  graph(names?: NamedTensors): Promise<Graph>;
}

export interface DumpOptions extends ToOnnxOptions {
  /** The module whose parameters the function reads: their state-dict keys name the initializers. */
  names?: NamedTensors;
}

function checkTraced(op: string, traced: unknown): asserts traced is Dumpable {
  if (typeof (traced as Dumpable | null)?.graph !== 'function') {
    throw new TypeError(
      `${op}: argument 'traced' must be a traced function (jit.trace(fn)) that has been called once, got ${traced === null ? 'null' : typeof traced}`,
    );
  }
}

/** The ONNX bytes of a traced inference function (call it once first, so that it is recorded). */
export async function toOnnxBytes(traced: Dumpable, options: DumpOptions = {}): Promise<Uint8Array> {
  checkTraced('toOnnxBytes', traced);
  const { names, ...rest } = options;
  return toOnnx(await traced.graph(names), rest);
}

/**
 * MegEngine's `traced.dump(file)`: writes a traced inference function as an ONNX model (opset
 * 17, weights inside). The file is written atomically (a temporary file, then a rename). Node only.
 */
export async function dump(traced: Dumpable, file: string, options: DumpOptions = {}): Promise<void> {
  checkTraced('dump', traced);
  if (typeof file !== 'string' || file === '')
    throw new TypeError(`dump: argument 'file' must be a non-empty path, got ${JSON.stringify(file)}`);
  const bytes = await toOnnxBytes(traced, options);
  const { writeFile, rename, rm } = await import('node:fs/promises');
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
