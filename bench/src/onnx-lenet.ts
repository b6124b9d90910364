// Builds the LeNet of MegEngine's network-building guide examples as an ONNX model (opset 13) in memory, for onnxruntime-node.
// A minimal protobuf writer: only the fields of ModelProto that this graph needs.
import { randomFloats } from './stats.js';

class Pb {
  private bytes: number[] = [];

  private varint(v: number): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }

  int(field: number, v: number): this {
    this.varint(field << 3);
    this.varint(v);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.bytesField(field, m.done());
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1;

function valueInfo(name: string, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensorType = new Pb().int(1, FLOAT).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensorType));
}

function initializer(name: string, dims: number[], seed: number): Pb {
  const n = dims.reduce((a, b) => a * b, 1);
  const fanIn = dims.length > 1 ? n / dims[0] : 1;
  const data = randomFloats(n, seed).map((v) => v / Math.sqrt(fanIn));
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  return t.int(2, FLOAT).str(8, name).bytesField(9, new Uint8Array(data.buffer));
}

function node(op: string, inputs: string[], outputs: string[], attrs: Pb[] = []): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, outputs[0]).str(4, op);
  for (const a of attrs) n.msg(5, a);
  return n;
}

const INT = 2;
const INTS = 7;
const ints = (name: string, vs: number[]) => {
  const a = new Pb().str(1, name).int(20, INTS);
  for (const v of vs) a.int(8, v);
  return a;
};
const int = (name: string, v: number) => new Pb().str(1, name).int(20, INT).int(3, v);

/** The ONNX bytes of LeNet: input "x" [N,1,32,32] → output "y" [N,10]. */
export function lenetOnnx(): Uint8Array {
  const g = new Pb();
  const pool = [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])];
  const nodes = [
    node('Conv', ['x', 'w1', 'b1'], ['c1'], [ints('kernel_shape', [5, 5])]),
    node('Relu', ['c1'], ['r1']),
    node('MaxPool', ['r1'], ['p1'], pool),
    node('Conv', ['p1', 'w2', 'b2'], ['c2'], [ints('kernel_shape', [5, 5])]),
    node('Relu', ['c2'], ['r2']),
    node('MaxPool', ['r2'], ['p2'], pool),
    node('Flatten', ['p2'], ['f'], [int('axis', 1)]),
    node('Gemm', ['f', 'w3', 'b3'], ['g3'], [int('transB', 1)]),
    node('Relu', ['g3'], ['r3']),
    node('Gemm', ['r3', 'w4', 'b4'], ['g4'], [int('transB', 1)]),
    node('Relu', ['g4'], ['r4']),
    node('Gemm', ['r4', 'w5', 'b5'], ['y'], [int('transB', 1)]),
  ];
  for (const n of nodes) g.msg(1, n);
  g.str(2, 'lenet');
  const inits: [string, number[]][] = [
    ['w1', [6, 1, 5, 5]],
    ['b1', [6]],
    ['w2', [16, 6, 5, 5]],
    ['b2', [16]],
    ['w3', [120, 400]],
    ['b3', [120]],
    ['w4', [84, 120]],
    ['b4', [84]],
    ['w5', [10, 84]],
    ['b5', [10]],
  ];
  inits.forEach(([name, dims], i) => {
    g.msg(5, initializer(name, dims, i + 1));
  });
  g.msg(11, valueInfo('x', ['N', 1, 32, 32]));
  g.msg(12, valueInfo('y', ['N', 10]));
  return new Pb().int(1, 8).str(2, 'mge-bench').msg(7, g).msg(8, new Pb().str(1, '').int(2, 13)).done();
}
