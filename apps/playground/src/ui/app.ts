/** What the tabs share: the page's LeNet, the bundled digits, the device and its listeners. */
import type { MnistCache } from '@mge/data';
import type { LenetSession } from '../lib/lenet-session.js';

export interface App {
  session: LenetSession;
  mnist: MnistCache;
  /** The MNIST cache file as fetched, handed to the training worker (fetched once per page). */
  mnistBytes: Uint8Array;
  bundledWeights: Uint8Array;
  /** The wasm kernels as the page compiled them, handed to the workers (fetched once per page); null without WebAssembly SIMD. */
  wasmModule: WebAssembly.Module | null;
  /** Called after the LeNet's weights or device changed. */
  onModelChange(fn: () => void | Promise<void>): void;
  modelChanged(): Promise<void>;
  onDeviceChange(fn: (device: string) => void | Promise<void>): void;
}
