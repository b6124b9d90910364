import type { DType } from '@mge/core';
import onnxProto from 'onnx-proto';

/** ONNX's protobuf schema (onnx.proto of ONNX 1.10, IR 8) compiled for protobufjs by the onnx-proto package. */
export const onnx = onnxProto.onnx;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export const DataType = onnx.TensorProto.DataType;

/** The ONNX element type of each of our dtypes. */
export function onnxDType(dtype: DType): number {
  if (dtype === 'float32') return DataType.FLOAT;
  if (dtype === 'int32') return DataType.INT32;
  return DataType.BOOL;
}

/** Our dtype for an ONNX element type; int64 and double narrow to int32 and float32 (checked on read). */
export function ourDType(op: string, t: number): DType {
  switch (t) {
    case DataType.FLOAT:
    case DataType.DOUBLE:
    case DataType.FLOAT16:
      return 'float32';
    case DataType.INT32:
    case DataType.INT64:
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.INT16:
      return 'int32';
    case DataType.BOOL:
      return 'bool';
    default:
      throw new Error(`${op}: ONNX element type ${DataType[t] ?? t} is not supported (float, double, int8-64, uint8, bool are)`);
  }
}

/** A tensor holding `data` (raw little-endian bytes, as exporters write weights). */
export function tensorProto(name: string, dims: readonly number[], dtype: DType | 'int64', data: ArrayLike<number>): TensorProto {
  let raw: Uint8Array;
  let dataType: number;
  if (dtype === 'int64') {
    const a = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) a[i] = BigInt(data[i]);
    raw = new Uint8Array(a.buffer);
    dataType = DataType.INT64;
  } else if (dtype === 'bool') {
    raw = Uint8Array.from(data, (v) => (v ? 1 : 0));
    dataType = DataType.BOOL;
  } else {
    const a = dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data);
    raw = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    dataType = onnxDType(dtype);
  }
  return { name, dims: [...dims], dataType, rawData: raw };
}

type Attr = number | string | readonly number[] | TensorProto;

/** An attribute; integers go to `i`/`ints`, other numbers to `f`/`floats` unless `float` says so. */
export function attribute(name: string, v: Attr, float = false): AttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return float || !Number.isInteger(v) ? { name, type: A.FLOAT, f: v } : { name, type: A.INT, i: v };
  if (Array.isArray(v)) {
    const nums = v as readonly number[];
    return float ? { name, type: A.FLOATS, floats: [...nums] } : { name, type: A.INTS, ints: [...nums] };
  }
  return { name, type: A.TENSOR, t: v as TensorProto };
}

/** The values of a TensorProto as a typed array of our dtypes (int64 narrowed to int32, checked). */
export function tensorData(op: string, t: TensorProto): Float32Array | Int32Array | Uint8Array {
  const dims = (t.dims ?? []).map(Number);
  const size = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const dtype = ourDType(op, type);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new Error(`${op}: tensor '${t.name}' keeps its data in an external file; save the model with weights inside`);
  }
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const bytes = raw ? Uint8Array.from(raw) : null; // an aligned copy
  const view = bytes ? new DataView(bytes.buffer) : null;
  const out = dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
  const narrow = (v: number | bigint, i: number): number => {
    const n = Number(v);
    if (dtype === 'int32' && (n > 2147483647 || n < -2147483648)) {
      // INT64_MAX/MIN mean "to the end" in Slice ends; clamp those, refuse anything else
      if (n >= 2 ** 62 || n <= -(2 ** 62)) return n > 0 ? 2147483647 : -2147483648;
      throw new Error(`${op}: tensor '${t.name}' element ${i} (${n}) does not fit int32`);
    }
    return n;
  };
  for (let i = 0; i < size; i++) {
    let v: number | bigint;
    if (view) {
      switch (type) {
        case DataType.FLOAT:
          v = view.getFloat32(4 * i, true);
          break;
        case DataType.DOUBLE:
          v = view.getFloat64(8 * i, true);
          break;
        case DataType.INT64:
          v = view.getBigInt64(8 * i, true);
          break;
        case DataType.INT32:
          v = view.getInt32(4 * i, true);
          break;
        case DataType.INT16:
          v = view.getInt16(2 * i, true);
          break;
        case DataType.INT8:
          v = view.getInt8(i);
          break;
        case DataType.UINT8:
        case DataType.BOOL:
          v = view.getUint8(i);
          break;
        default:
          throw new Error(`${op}: tensor '${t.name}' has raw data of unsupported type ${DataType[type] ?? type}`);
      }
    } else if (type === DataType.FLOAT) v = t.floatData?.[i] ?? Number.NaN;
    else if (type === DataType.DOUBLE) v = t.doubleData?.[i] ?? Number.NaN;
    else if (type === DataType.INT64) v = Number(t.int64Data?.[i] ?? 0);
    else v = t.int32Data?.[i] ?? 0;
    out[i] = narrow(v, i);
  }
  const have = view
    ? raw!.length
    : type === DataType.FLOAT
      ? (t.floatData?.length ?? 0)
      : type === DataType.DOUBLE
        ? (t.doubleData?.length ?? 0)
        : type === DataType.INT64
          ? (t.int64Data?.length ?? 0)
          : (t.int32Data?.length ?? 0);
  const bytesPer = { [DataType.DOUBLE]: 8, [DataType.INT64]: 8, [DataType.FLOAT]: 4, [DataType.INT32]: 4, [DataType.INT16]: 2 }[type] ?? 1;
  const need = view ? size * bytesPer : size;
  if (have < need)
    throw new Error(`${op}: tensor '${t.name}' of shape [${dims.join(', ')}] holds ${have} ${view ? 'bytes' : 'values'}, expected ${need}`);
  return out;
}
