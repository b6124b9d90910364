import { shapeToString } from '../shape.js';
import { type Tensor, view } from '../tensor.js';
import { trackCreated } from '../tidy.js';

/**
 * A gradient rule: given dL/d(out), the gradient for each input (null where none).
 * `needs[i]` says whether input i leads to an attached tensor; a rule may skip the
 * work for inputs that do not (a network's first convolution needs no dx).
 */
export type GradRule = (dy: Tensor, needs: readonly boolean[]) => (Tensor | null | undefined)[];

interface Node {
  inputIds: number[];
  outId: number;
  rule: GradRule | null;
  /** Each input's in-place change count when the operator ran (see checkVersions). */
  versions: { n: number }[];
  seen: number[];
  shapes: (readonly number[])[];
}

/**
 * PyTorch's rule: a gradient rule reads its inputs when backward runs, so an input changed in
 * place since the forward pass (`setValue`, an optimizer step, `loadStateDict`) would give the
 * gradient at the new value. That is refused, naming the tensor.
 */
function checkVersions(node: Node): void {
  for (let k = 0; k < node.versions.length; k++) {
    if (node.versions[k].n === node.seen[k]) continue;
    throw new Error(
      `GradManager.backward: Tensor(id=${node.inputIds[k]}, shape ${shapeToString(node.shapes[k])}) was modified in place ` +
        `(setValue/_reset, an optimizer step or loadStateDict) after an operator used it and before backward; ` +
        `its gradient would be computed at the new value. Call backward() before changing it, or record the forward pass again.`,
    );
  }
}

/**
 * The record of one GradManager's computation: which tensors depend on an attached
 * parameter, and for each operator on them, how to send gradients back.
 */
export class Tape {
  readonly tracked = new Set<number>();
  nodes: Node[] = [];

  /**
   * Gradients by tensor id, from dy at `rootId` back to every tracked input (and to the
   * ids in `keep`, attached tensors that have a history of their own).
   *
   * Every tensor made during the pass is a temporary the user never sees, except the
   * gradients returned; each is freed as soon as no pending gradient holds it, so that
   * a training step reuses its backward buffers at once instead of waiting for the
   * garbage collector.
   */
  backward(
    rootId: number,
    dy: Tensor,
    add: (a: Tensor, b: Tensor) => Tensor,
    keep: ReadonlySet<number> = new Set(),
    onReady?: (id: number, grad: Tensor) => void,
  ): Map<number, Tensor> {
    const grads = new Map<number, Tensor>([[rootId, dy]]);
    const made = new Set<Tensor>();
    // With onReady, a kept gradient is handed over as soon as no earlier node can add to it
    // (after its first use, walking backwards), so that distributed training can start
    // all-reducing it while the rest of backward runs.
    const readyAfter = new Map<number, number[]>();
    if (onReady) {
      // an attached intermediate (the output of a node) still passes its gradient on: handed over at the end
      const seenIds = new Set<number>(this.nodes.map((n) => n.outId));
      for (let i = 0; i < this.nodes.length; i++) {
        for (const id of this.nodes[i].inputIds) {
          if (!keep.has(id) || seenIds.has(id)) continue;
          seenIds.add(id);
          readyAfter.set(i, [...(readyAfter.get(i) ?? []), id]);
        }
      }
    }
    const handOver = (i: number) => {
      for (const id of readyAfter.get(i) ?? []) {
        const g = grads.get(id);
        if (!g || !onReady) continue;
        grads.delete(id);
        // g itself when the tape made it and nothing else holds it (the receiver then owns its
        // buffer alone); else its own Tensor object (another input may share g), made outside
        // the tape's temporaries
        let shared = !made.has(g);
        for (const other of grads.values()) shared ||= other === g;
        if (!shared) made.delete(g);
        trackCreated(new Set(), () => onReady(id, shared ? view(g, g.shape) : g));
      }
    };
    const freeUnused = () => {
      const held = new Set(grads.values());
      for (const t of made) {
        if (held.has(t)) continue;
        made.delete(t);
        t.dispose();
      }
    };
    trackCreated(made, () => {
      for (let i = this.nodes.length - 1; i >= 0; i--) {
        const node = this.nodes[i];
        const g = grads.get(node.outId);
        if (!g || !node.rule) {
          handOver(i);
          continue;
        }
        checkVersions(node);
        if (!keep.has(node.outId)) grads.delete(node.outId); // an attached intermediate keeps its gradient
        const needs = node.inputIds.map((id) => this.tracked.has(id));
        const inGrads = node.rule(g, needs);
        node.rule = null; // frees the tensors the rule saved
        node.inputIds.forEach((id, k) => {
          const gi = inGrads[k];
          if (!gi || !needs[k]) return;
          const prev = grads.get(id);
          grads.set(id, prev ? add(prev, gi) : gi);
        });
        freeUnused();
        handOver(i);
      }
    });
    this.nodes = [];
    // One tensor may be the gradient of two inputs (add's rule passes dy to both); each
    // gets its own Tensor object so that freeing or accumulating one never touches the other.
    const seen = new Set<Tensor>();
    for (const [id, g] of grads) {
      if (seen.has(g)) grads.set(id, view(g, g.shape));
      else seen.add(g);
    }
    return grads;
  }
}

const active: Tape[] = [];
let paused = 0;

export function pushTape(t: Tape): void {
  active.push(t);
}
export function removeTape(t: Tape): void {
  const i = active.indexOf(t);
  if (i >= 0) active.splice(i, 1);
}

/** True when some input depends on an attached parameter of a recording GradManager. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  if (paused > 0 || active.length === 0) return false;
  for (const tape of active) for (const x of inputs) if (tape.tracked.has(x.id)) return true;
  return false;
}

/** Records `out = op(inputs)` on every recording tape that tracks one of the inputs; returns how many did. */
export function recordOp(inputs: readonly Tensor[], out: Tensor, rule: GradRule): number {
  if (paused > 0) return 0;
  let recorded = 0;
  for (const tape of active) {
    if (!inputs.some((x) => tape.tracked.has(x.id))) continue;
    tape.tracked.add(out.id);
    const versions = inputs.map((x) => (x.version ??= { n: 0 }));
    tape.nodes.push({
      inputIds: inputs.map((x) => x.id),
      outId: out.id,
      rule,
      versions,
      seen: versions.map((v) => v.n),
      shapes: inputs.map((x) => x.shape),
    });
    recorded++;
  }
  return recorded;
}

/** Runs fn with recording switched off (MegEngine: computations outside `with gm`). */
export function noGrad<T>(fn: () => T): T {
  paused++;
  try {
    return fn();
  } finally {
    paused--;
  }
}
