import { GradManager, getDefaultDevice, random, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';
import { SGD } from '@mge/optimizer';

/** What one LeNet training step produced: the loss, each parameter's gradient and its updated value. */
export interface StepResult {
  loss: number;
  /** `${name}` → gradient, and `${name}.new` → parameter after the SGD update. */
  values: Record<string, Float32Array>;
}

/** Deterministic inputs in [-1, 1) (LCG), the same on every device. */
function lcg(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * One LeNet forward + backward + SGD step on `device`: weights come from a seeded js
 * model so every device starts from the same values; all reads are asynchronous, so the
 * same code runs on webgpu (which refuses synchronous reads).
 */
/** LeNet of MegEngine's network-building guide examples, as a Sequential (a backend package must not depend on the zoo). */
function leNet(): M.Sequential {
  const { Conv2d, ReLU, MaxPool2d, Flatten, Linear } = M;
  return new M.Sequential(
    new Conv2d(1, 6, 5),
    new ReLU(),
    new MaxPool2d(2, 2),
    new Conv2d(6, 16, 5),
    new ReLU(),
    new MaxPool2d(2, 2),
    new Flatten(1),
    new Linear(16 * 5 * 5, 120),
    new ReLU(),
    new Linear(120, 84),
    new ReLU(),
    new Linear(84, 10),
  );
}

export async function lenetStep(device: string, batch: number): Promise<StepResult> {
  const previous = getDefaultDevice();
  random.seed(7);
  setDefaultDevice('js');
  const init = leNet();
  const weights = new Map<string, Float32Array>();
  for (const [k, t] of init.namedTensors()) weights.set(k, (await t.data()) as Float32Array);
  setDefaultDevice(device);
  const model = leNet();
  setDefaultDevice(previous);
  model.loadStateDict((key, current) => tensor(weights.get(key)!, { shape: current.shape, device }));
  const x = tensor(lcg(batch * 32 * 32, 11), { shape: [batch, 1, 32, 32], device });
  const labels = Int32Array.from(lcg(batch, 13), (v) => Math.floor((v + 1) * 5) % 10);
  const y = tensor(labels, { dtype: 'int32', shape: [batch], device });
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  gm.record();
  const loss = F.crossEntropy(model(x) as Tensor, y);
  gm.backward(loss);
  const values: Record<string, Float32Array> = {};
  for (const [name, p] of model.namedParameters()) {
    if (p.device !== device) throw new Error(`lenetStep: parameter ${name} is on ${p.device}, expected ${device}`);
    values[name] = (await p.grad!.data()) as Float32Array;
  }
  opt.step().clearGrad();
  for (const [name, p] of model.namedParameters()) values[`${name}.new`] = (await p.data()) as Float32Array;
  return { loss: ((await loss.data()) as Float32Array)[0], values };
}

/**
 * Differences between two steps beyond `atol + rtol·|ref|`. Float32 summation order differs
 * between the tiled GPU GEMM and the js backend's loops: at batch 4 the largest difference
 * seen was 1.1e-7 (lavapipe), against gradients of order 1e-3…1e-1, so 1e-5 absolute +
 * 1e-4 relative leaves ~100× headroom while any wrong index or missing term still fails.
 */
export function compareSteps(got: StepResult, ref: StepResult, atol = 1e-5, rtol = 1e-4): string[] {
  const bad: string[] = [];
  if (!(Math.abs(got.loss - ref.loss) <= atol + rtol * Math.abs(ref.loss))) bad.push(`loss ${got.loss} vs ${ref.loss}`);
  for (const [name, want] of Object.entries(ref.values)) {
    const have = got.values[name];
    if (!have || have.length !== want.length) {
      bad.push(`${name}: length ${have?.length} vs ${want.length}`);
      continue;
    }
    let worst = -1;
    let worstErr = 0;
    for (let i = 0; i < want.length; i++) {
      const err = Math.abs(have[i] - want[i]) - rtol * Math.abs(want[i]);
      if (!(err <= atol) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
        worst = i;
        worstErr = err;
      }
    }
    if (worst >= 0) bad.push(`${name}[${worst}]: ${have[worst]} vs ${want[worst]}`);
  }
  return bad;
}
