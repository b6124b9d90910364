/**
 * The composer's layer blocks: each block type names its arguments, builds the
 * @mge/module layer, and prints the TypeScript that builds it.
 */
import * as M from '@mge/module';

export type LayerType =
  | 'Conv2d'
  | 'ReLU'
  | 'Sigmoid'
  | 'Tanh'
  | 'MaxPool2d'
  | 'AvgPool2d'
  | 'BatchNorm2d'
  | 'Flatten'
  | 'Linear'
  | 'Dropout';

export interface ArgDef {
  name: string;
  /** Shown next to the input. */
  label: string;
  default: number;
  min: number;
  /** Integer arguments are checked as such; the only real one is Dropout's probability. */
  integer: boolean;
  max?: number;
}

export interface LayerSpec {
  type: LayerType;
  args: Record<string, number>;
}

interface BlockDef {
  args: ArgDef[];
  build(a: Record<string, number>): M.Module;
  /** The constructor call, e.g. `new M.Conv2d(1, 6, 5)`. */
  code(a: Record<string, number>): string;
  /** Short field-name stem for generated classes (conv, fc, pool…). */
  stem: string;
}

const int = (name: string, label: string, def: number, min = 1): ArgDef => ({ name, label, default: def, min, integer: true });

function options(parts: [string, number, number][]): string {
  const set = parts.filter(([, v, def]) => v !== def).map(([k, v]) => `${k}: ${v}`);
  return set.length ? `, { ${set.join(', ')} }` : '';
}

export const BLOCKS: Record<LayerType, BlockDef> = {
  Conv2d: {
    stem: 'conv',
    args: [
      int('inChannels', 'in', 1),
      int('outChannels', 'out', 6),
      int('kernelSize', 'kernel', 5),
      int('stride', 'stride', 1),
      int('padding', 'pad', 0, 0),
    ],
    build: (a) => new M.Conv2d(a.inChannels, a.outChannels, a.kernelSize, { stride: a.stride, padding: a.padding }),
    code: (a) =>
      `new M.Conv2d(${a.inChannels}, ${a.outChannels}, ${a.kernelSize}${options([
        ['stride', a.stride, 1],
        ['padding', a.padding, 0],
      ])})`,
  },
  ReLU: { stem: 'relu', args: [], build: () => new M.ReLU(), code: () => 'new M.ReLU()' },
  Sigmoid: { stem: 'sigmoid', args: [], build: () => new M.Sigmoid(), code: () => 'new M.Sigmoid()' },
  Tanh: { stem: 'tanh', args: [], build: () => new M.Tanh(), code: () => 'new M.Tanh()' },
  MaxPool2d: {
    stem: 'pool',
    args: [int('kernelSize', 'kernel', 2), int('stride', 'stride', 2)],
    build: (a) => new M.MaxPool2d(a.kernelSize, a.stride),
    code: (a) => `new M.MaxPool2d(${a.kernelSize}, ${a.stride})`,
  },
  AvgPool2d: {
    stem: 'pool',
    args: [int('kernelSize', 'kernel', 2), int('stride', 'stride', 2)],
    build: (a) => new M.AvgPool2d(a.kernelSize, a.stride),
    code: (a) => `new M.AvgPool2d(${a.kernelSize}, ${a.stride})`,
  },
  BatchNorm2d: {
    stem: 'bn',
    args: [int('numFeatures', 'features', 6)],
    build: (a) => new M.BatchNorm2d(a.numFeatures),
    code: (a) => `new M.BatchNorm2d(${a.numFeatures})`,
  },
  Flatten: { stem: 'flatten', args: [], build: () => new M.Flatten(1), code: () => 'new M.Flatten(1)' },
  Linear: {
    stem: 'fc',
    args: [int('inFeatures', 'in', 400), int('outFeatures', 'out', 10)],
    build: (a) => new M.Linear(a.inFeatures, a.outFeatures),
    code: (a) => `new M.Linear(${a.inFeatures}, ${a.outFeatures})`,
  },
  Dropout: {
    stem: 'dropout',
    args: [{ name: 'dropProb', label: 'p', default: 0.5, min: 0, max: 0.99, integer: false }],
    build: (a) => new M.Dropout(a.dropProb),
    code: (a) => `new M.Dropout(${a.dropProb})`,
  },
};

export const LAYER_TYPES = Object.keys(BLOCKS) as LayerType[];

/** A block with its default arguments, optionally overridden. */
export function layer(type: LayerType, args: Record<string, number> = {}): LayerSpec {
  const def = BLOCKS[type];
  if (!def) throw new TypeError(`layer: unknown layer type '${String(type)}'; expected one of ${LAYER_TYPES.join(', ')}`);
  const out: Record<string, number> = {};
  for (const a of def.args) out[a.name] = args[a.name] ?? a.default;
  for (const k of Object.keys(args)) {
    if (!def.args.some((a) => a.name === k)) throw new TypeError(`layer(${type}): unknown argument '${k}'`);
  }
  return { type, args: out };
}

/** Checks a block's arguments; returns a message naming the argument, or null when fine. */
export function checkArgs(spec: LayerSpec): string | null {
  for (const a of BLOCKS[spec.type].args) {
    const v = spec.args[a.name];
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${a.name} must be a number, got ${String(v)}`;
    if (a.integer && !Number.isInteger(v)) return `${a.name} must be an integer, got ${v}`;
    if (v < a.min) return `${a.name} must be ≥ ${a.min}, got ${v}`;
    if (a.max !== undefined && v > a.max) return `${a.name} must be ≤ ${a.max}, got ${v}`;
  }
  return null;
}

/** LeNet's layers as blocks: the composer's starting point. */
export function lenetBlocks(): LayerSpec[] {
  return [
    layer('Conv2d', { inChannels: 1, outChannels: 6, kernelSize: 5 }),
    layer('ReLU'),
    layer('MaxPool2d'),
    layer('Conv2d', { inChannels: 6, outChannels: 16, kernelSize: 5 }),
    layer('ReLU'),
    layer('MaxPool2d'),
    layer('Flatten'),
    layer('Linear', { inFeatures: 400, outFeatures: 120 }),
    layer('ReLU'),
    layer('Linear', { inFeatures: 120, outFeatures: 84 }),
    layer('ReLU'),
    layer('Linear', { inFeatures: 84, outFeatures: 10 }),
  ];
}
