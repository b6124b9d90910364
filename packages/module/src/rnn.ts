// Recurrent layers: the cells of @mge/functional run over time, layers and directions.
// The layout is MegEngine's: a layer keeps every weight in one `flattenWeights` parameter
// (megdnn's packing, see `cellSlices`) and, as MegEngine does, also holds per-cell modules
// `cells[layer][direction]` whose parameters its forward does not read — they are there so a
// MegEngine state dict (`_flatten_weights`, `cells.0.0.weight_ih`, …) loads key for key.
import { concat, noGrad, Parameter, random, reshape, shapeToString, stack, type Tensor, unsqueeze, zeros } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt } from './init.js';
import { type AnyModule, Module } from './module.js';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** U(−1/√H, 1/√H), MegEngine's and PyTorch's initialisation of every recurrent weight and bias. */
function uniformParameter(shape: number[], hidden: number): Parameter {
  const k = 1 / Math.sqrt(hidden);
  return new Parameter(noGrad(() => random.uniform(-k, k, shape)));
}

function step(mode: Mode, x: Tensor, h: Tensor, c: Tensor | null, w: F.CellWeights): [Tensor, Tensor | null] {
  switch (mode) {
    case 'LSTM':
      return F.lstmCell(x, h, c as Tensor, w);
    case 'GRU':
      return [F.gruCell(x, h, w), null];
    default:
      return [F.rnnCell(x, h, w, mode === 'RNN_RELU' ? 'relu' : 'tanh'), null];
  }
}

abstract class CellBase<Out> extends Module<Out> {
  weightIh: Parameter;
  weightHh: Parameter;
  /** Zero buffers (not parameters) when bias is off, as in MegEngine. */
  biasIh: Tensor;
  biasHh: Tensor;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;

  constructor(
    readonly mode: Mode,
    inputSize: number,
    hiddenSize: number,
    bias: boolean,
    /** Features of the recurrent state h (hiddenSize, or an LSTM's projSize). */
    stateSize = hiddenSize,
  ) {
    super();
    const name = this.constructor.name;
    this.inputSize = positiveInt(name, 'inputSize', inputSize);
    this.hiddenSize = positiveInt(name, 'hiddenSize', hiddenSize);
    const g = GATES[mode] * hiddenSize;
    this.weightIh = uniformParameter([g, inputSize], hiddenSize);
    this.weightHh = uniformParameter([g, stateSize], hiddenSize);
    this.bias = bias;
    this.biasIh = bias ? uniformParameter([g], hiddenSize) : zeros([g]);
    this.biasHh = bias ? uniformParameter([g], hiddenSize) : zeros([g]);
  }

  /** (N, inputSize) or unbatched (inputSize); returns the batched input and whether it was unbatched. */
  protected batched(x: Tensor): [Tensor, boolean] {
    const name = this.constructor.name;
    if (x.ndim !== 1 && x.ndim !== 2)
      throw new Error(`${name}: argument 'input' must be 1-d or 2-d (batch, ${this.inputSize}), got ${shapeToString(x.shape)}`);
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new Error(`${name}: argument 'input' must have ${this.inputSize} features, got ${shapeToString(x.shape)}`);
    }
    return x.ndim === 1 ? [unsqueeze(x, 0), true] : [x, false];
  }

  protected state(x: Tensor, h: Tensor | null | undefined, arg: string, unbatched: boolean, size = this.hiddenSize): Tensor {
    if (h === null || h === undefined) return zeros([x.shape[0], size], { device: x.device });
    const hb = unbatched && h.ndim === 1 ? unsqueeze(h, 0) : h;
    if (hb.ndim !== 2 || hb.shape[0] !== x.shape[0] || hb.shape[1] !== size) {
      throw new Error(`${this.constructor.name}: argument '${arg}' must be (${x.shape[0]}, ${size}), got ${shapeToString(h.shape)}`);
    }
    return hb;
  }

  protected get weights(): F.CellWeights {
    return {
      weightIh: this.weightIh,
      weightHh: this.weightHh,
      biasIh: this.bias ? this.biasIh : null,
      biasHh: this.bias ? this.biasHh : null,
    };
  }

  protected override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=False'}`;
  }
}

/** MegEngine's M.RNNCell: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu). */
export class RNNCell extends CellBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new TypeError(`RNNCell: argument 'nonlinearity' must be 'tanh' or 'relu', got ${String(nl)}`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options.bias ?? true);
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, unbatched] = this.batched(input);
    const h = F.rnnCell(x, this.state(x, hx, 'hx', unbatched), this.weights, this.mode === 'RNN_RELU' ? 'relu' : 'tanh');
    return unbatched ? reshape(h, [this.hiddenSize]) : h;
  }
}

/** M.GRUCell: not in MegEngine; PyTorch's gate order (r, z, n), laid out like MegEngine's cells. */
export class GRUCell extends CellBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean } = {}) {
    super('GRU', inputSize, hiddenSize, options.bias ?? true);
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, unbatched] = this.batched(input);
    const h = F.gruCell(x, this.state(x, hx, 'hx', unbatched), this.weights);
    return unbatched ? reshape(h, [this.hiddenSize]) : h;
  }
}

/** 0 (no projection) or an integer in [1, hiddenSize), MegEngine's rule for proj_size. */
function projSizeOption(name: string, projSize: unknown, hiddenSize: number): number {
  if (typeof projSize !== 'number' || !Number.isInteger(projSize) || projSize < 0 || projSize >= hiddenSize) {
    throw new RangeError(
      `${name}: argument 'projSize' must be 0 (no projection) or an integer in [1, hiddenSize ${hiddenSize}), got ${String(projSize)}`,
    );
  }
  return projSize;
}

/**
 * MegEngine's M.LSTMCell: returns [h', c']. `projSize` > 0 (an extension: MegEngine's LSTMCell has
 * none; it is what the cells of an LSTM with projections hold) adds `weightHr` (projSize, hidden)
 * and h' = W_hr·(o ⊙ tanh c'), so h is (N, projSize) and `weightHh` is (4·hidden, projSize).
 */
export class LSTMCell extends CellBase<[Tensor, Tensor]> {
  /** The projection (projSize, hiddenSize); only when projSize > 0. */
  weightHr?: Parameter;
  readonly projSize: number;

  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; projSize?: number } = {}) {
    const proj = projSizeOption('LSTMCell', options.projSize ?? 0, hiddenSize);
    super('LSTM', inputSize, hiddenSize, options.bias ?? true, proj || hiddenSize);
    this.projSize = proj;
    if (proj > 0) this.weightHr = uniformParameter([proj, hiddenSize], hiddenSize);
  }
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const [x, unbatched] = this.batched(input);
    const out = this.projSize || this.hiddenSize;
    const h = this.state(x, hx?.[0], 'hx[0]', unbatched, out);
    const c = this.state(x, hx?.[1], 'hx[1]', unbatched);
    const [h1, c1] = F.lstmCell(x, h, c, { ...this.weights, weightHr: this.weightHr ?? null });
    return unbatched ? [reshape(h1, [out]), reshape(c1, [this.hiddenSize])] : [h1, c1];
  }
  protected override extraRepr(): string {
    return super.extraRepr() + (this.projSize ? `, proj_size=${this.projSize}` : '');
  }
}

function makeCell(mode: Mode, inputSize: number, hiddenSize: number, bias: boolean, projSize: number): AnyModule {
  if (mode === 'LSTM') return new LSTMCell(inputSize, hiddenSize, { bias, projSize });
  if (mode === 'GRU') return new GRUCell(inputSize, hiddenSize, { bias });
  return new RNNCell(inputSize, hiddenSize, { bias, nonlinearity: mode === 'RNN_RELU' ? 'relu' : 'tanh' });
}

export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output are (batch, seq, feature) instead of (seq, batch, feature). */
  batchFirst?: boolean;
  /** Dropout on every layer's output but the last, in training mode. */
  dropout?: number;
  bidirectional?: boolean;
}

export interface LSTMOptions extends RNNOptions {
  /** > 0: an LSTM with projections, h = W_hr·h of projSize features (must be < hiddenSize). Default 0. */
  projSize?: number;
}

abstract class RNNBase<Out> extends Module<Out> {
  /** Every weight of every cell, megdnn's packing: (gates·H, Σ (in + H) + 2·cells if bias). */
  flattenWeights: Parameter;
  /** Every cell's projection W_hr (projSize, H) stacked, cell after cell: (cells·projSize, H); LSTM with projSize > 0 only. */
  projWeights?: Parameter;
  /** MegEngine's per-cell modules, `cells[layer][direction]`: in the state dict, not read by forward. */
  cells: AnyModule[][];
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** Features of h and of the output per direction: projSize for an LSTM with projections, else hiddenSize. */
  readonly stateSize: number;
  readonly projSize: number;

  constructor(
    readonly mode: Mode,
    inputSize: number,
    hiddenSize: number,
    options: LSTMOptions,
  ) {
    super();
    const name = this.constructor.name;
    this.inputSize = positiveInt(name, 'inputSize', inputSize);
    this.hiddenSize = positiveInt(name, 'hiddenSize', hiddenSize);
    this.numLayers = positiveInt(name, 'numLayers', options.numLayers ?? 1);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw new RangeError(`${name}: argument 'dropout' must be in [0, 1), got ${this.dropout}`);
    this.projSize = mode === 'LSTM' ? projSizeOption(name, options.projSize ?? 0, hiddenSize) : 0;
    this.stateSize = this.projSize || hiddenSize;
    const g = GATES[mode] * hiddenSize;
    this.cells = [];
    let columns = 0;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : this.stateSize * this.directions;
      const row: AnyModule[] = [];
      for (let d = 0; d < this.directions; d++) {
        row.push(makeCell(mode, inSize, hiddenSize, this.bias, this.projSize));
        columns += inSize + this.stateSize + (this.bias ? 2 : 0);
      }
      this.cells.push(row);
    }
    this.flattenWeights = uniformParameter([g, columns], hiddenSize);
    if (this.projSize > 0) {
      this.projWeights = uniformParameter([this.numLayers * this.directions * this.projSize, hiddenSize], hiddenSize);
    }
  }

  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /**
   * megdnn's packing of `flattenWeights`, read as one flat buffer: cell after cell (layer-major,
   * forward direction first), each W_ih (G, in), W_hh (G, H or projSize), then b_ih (G) and b_hh
   * (G) if bias. With projections, cell k's W_hr is rows k·projSize… of `projWeights`.
   */
  private cellSlices(): F.CellWeights[] {
    const flat = reshape(this.flattenWeights, [-1]);
    const g = GATES[this.mode] * this.hiddenSize;
    const out: F.CellWeights[] = [];
    let at = 0;
    const take = (shape: number[]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const t = reshape(flat.index({ start: at, stop: at + n }), shape);
      at += n;
      return t;
    };
    const p = this.projSize;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : this.stateSize * this.directions;
      for (let d = 0; d < this.directions; d++) {
        const weightIh = take([g, inSize]);
        const weightHh = take([g, this.stateSize]);
        const cell: F.CellWeights = this.bias ? { weightIh, weightHh, biasIh: take([g]), biasHh: take([g]) } : { weightIh, weightHh };
        if (this.projWeights) {
          const k = out.length;
          cell.weightHr = this.projWeights.index({ start: k * p, stop: (k + 1) * p });
        }
        out.push(cell);
      }
    }
    return out;
  }

  /** (T, N, I) (or batch-first, or unbatched (T, I)) → [output, h_n, c_n]. */
  protected run(input: Tensor, h0: Tensor | null | undefined, c0: Tensor | null | undefined): [Tensor, Tensor, Tensor | null] {
    const name = this.constructor.name;
    if (input.ndim !== 2 && input.ndim !== 3)
      throw new Error(
        `${name}: argument 'input' must be 3-d (seq, batch, ${this.inputSize}) or 2-d unbatched, got ${shapeToString(input.shape)}`,
      );
    if (input.shape[input.ndim - 1] !== this.inputSize)
      throw new Error(`${name}: argument 'input' must have ${this.inputSize} features, got ${shapeToString(input.shape)}`);
    const unbatched = input.ndim === 2;
    let x = unbatched ? unsqueeze(input, 1) : this.batchFirst ? input.transpose([1, 0, 2]) : input;
    const [t, n] = x.shape;
    const layers = this.numLayers * this.directions;
    const initial = (s: Tensor | null | undefined, arg: string, size: number): Tensor => {
      if (s === null || s === undefined) return zeros([layers, n, size], { device: x.device });
      const sb = unbatched && s.ndim === 2 ? unsqueeze(s, 1) : s;
      if (sb.shape.join() !== `${layers},${n},${size}`) {
        throw new Error(`${name}: argument '${arg}' must be (${layers}, ${n}, ${size}), got ${shapeToString(s.shape)}`);
      }
      return sb;
    };
    const hs = initial(h0, 'hx', this.stateSize);
    const cs = this.mode === 'LSTM' ? initial(c0, 'cx', this.hiddenSize) : null;
    const hOut: Tensor[] = [];
    const cOut: Tensor[] = [];
    const weights = this.cellSlices();
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < this.directions; d++) {
        const k = l * this.directions + d;
        let h = hs.index(k);
        let c = cs ? cs.index(k) : null;
        const w = weights[k];
        const seq: Tensor[] = new Array(t);
        for (let s = 0; s < t; s++) {
          const i = d === 1 ? t - 1 - s : s;
          [h, c] = step(this.mode, x.index(i), h, c, w);
          seq[i] = h;
        }
        outs.push(t === 0 ? zeros([0, n, this.stateSize], { device: x.device }) : stack(seq, 0));
        hOut.push(h);
        if (c) cOut.push(c);
      }
      x = outs.length === 1 ? outs[0] : concat(outs, 2);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) x = F.dropout(x, this.dropout, true);
    }
    let out = unbatched ? x.index({}, 0) : this.batchFirst ? x.transpose([1, 0, 2]) : x;
    let hn = stack(hOut, 0);
    let cn = cs ? stack(cOut, 0) : null;
    if (unbatched) {
      out = reshape(out, [t, -1]);
      hn = hn.index({}, 0);
      cn = cn ? cn.index({}, 0) : null;
    }
    return [out, hn, cn];
  }

  protected override extraRepr(): string {
    const extra = [
      this.numLayers !== 1 ? `num_layers=${this.numLayers}` : '',
      this.bias ? '' : 'bias=False',
      this.batchFirst ? 'batch_first=True' : '',
      this.dropout ? `dropout=${this.dropout}` : '',
      this.bidirectional ? 'bidirectional=True' : '',
      this.projSize ? `proj_size=${this.projSize}` : '',
    ].filter(Boolean);
    return [`${this.inputSize}, ${this.hiddenSize}`, ...extra].join(', ');
  }
}

/** MegEngine's M.RNN: `rnn(x, h0?)` → [output, h_n]. */
export class RNN extends RNNBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new TypeError(`RNN: argument 'nonlinearity' must be 'tanh' or 'relu', got ${String(nl)}`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
  }
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const [out, hn] = this.run(input, hx, null);
    return [out, hn];
  }
}

/** M.GRU: not in MegEngine; built like its RNN and LSTM (flattenWeights, cells). `gru(x, h0?)` → [output, h_n]. */
export class GRU extends RNNBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const [out, hn] = this.run(input, hx, null);
    return [out, hn];
  }
}

/**
 * MegEngine's M.LSTM: `lstm(x, [h0, c0]?)` → [output, [h_n, c_n]]. With `projSize` > 0, h (and
 * so output and h_n) has projSize features per direction, c keeps hiddenSize, and the projections
 * are the extra parameter `projWeights` (megdnn validates proj_size but does not project; this
 * follows the formula MegEngine documents, which is PyTorch's proj_size).
 */
export class LSTM extends RNNBase<[Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const [out, hn, cn] = this.run(input, hx?.[0], hx?.[1]);
    return [out, [hn, cn as Tensor]];
  }
}
