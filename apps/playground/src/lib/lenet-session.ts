/**
 * The page's LeNet: the weights the Try it and State dict tabs show. The safetensors
 * bytes are the source of truth, so switching devices rebuilds the model from them.
 */
import { type Checkpoint, deserialize, getDefaultDevice, noGrad, serializeAsync, tensor } from '@mge/core';
import { mnistTransform } from '@mge/data';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';

export const LENET_SIDE = 32;

export class LenetSession {
  model: LeNet;
  /** Where the current weights came from, for the UI. */
  source: string;

  constructor(source = 'random initialisation') {
    this.model = new LeNet().eval();
    this.source = source;
  }

  get device(): string {
    return this.model.classifier.weight.device;
  }

  /**
   * Loads safetensors bytes. Everything is checked (format, keys, shapes) before any
   * weight changes, so a bad file leaves the model as it was; the error names the file.
   */
  load(bytes: Uint8Array, source: string): Checkpoint {
    let ckpt: Checkpoint;
    try {
      ckpt = deserialize(bytes, { device: this.device, source });
    } catch (e) {
      throw new Error(`${source} is not a valid .safetensors file: ${reason(e)}`);
    }
    try {
      this.model.loadStateDict(ckpt);
    } catch (e) {
      throw new Error(`${source} does not hold LeNet weights: ${reason(e)}`);
    }
    this.source = source;
    return ckpt;
  }

  async save(): Promise<Uint8Array> {
    return serializeAsync(this.model.stateDict(), { metadata: { model: 'lenet' } });
  }

  /** Rebuilds the model on the current default device with the same weights. */
  async moveToDefault(): Promise<void> {
    const device = getDefaultDevice();
    if (device === this.device) return;
    const bytes = await this.save();
    const fresh = new LeNet().eval();
    fresh.loadStateDict(deserialize(bytes, { device }));
    this.model = fresh;
  }

  /** Class probabilities (n×10) for 28×28 digits of bytes 0..255. */
  async predict(digits: readonly Uint8Array[]): Promise<Float32Array[]> {
    if (digits.length === 0) return [];
    const tf = mnistTransform();
    const size = LENET_SIDE * LENET_SIDE;
    const x = new Float32Array(digits.length * size);
    digits.forEach((d, i) => {
      if (d.length !== 28 * 28) throw new RangeError(`predict: digit ${i} must have 784 pixels, got ${d.length}`);
      x.set(tf({ data: d, channels: 1, height: 28, width: 28 }).data, i * size);
    });
    const probs = noGrad(() => F.softmax(this.model(tensor(x, { shape: [digits.length, 1, LENET_SIDE, LENET_SIDE] })), 1));
    const flat = (await probs.data()) as Float32Array;
    return digits.map((_, i) => flat.slice(i * 10, i * 10 + 10));
  }
}

function reason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // drop the operator prefix ("deserialize: name: ") the sentence already carries
  return m.replace(/^deserialize: [^:]*: /, '').replace(/^loadStateDict: /, '');
}

export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}
