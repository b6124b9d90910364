/**
 * A minimal pickle reader (protocols 2–5, in-band data) that never executes anything:
 * every GLOBAL is looked up in an allow-list the caller supplies, and REDUCE/BUILD only
 * reach the small set of JavaScript stand-ins that list returns. Any other global, and any
 * opcode outside the data-only subset, is an error.
 */

/** A Python tuple (frozen, to tell it from a list). */
export type PyTuple = readonly PyValue[];

/** What a pickle can build here. Objects the allow-list returns are opaque to the reader. */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyValue[] | PyDict | PyObject;

/** A Python dict; keys are kept as JS primitives. */
export class PyDict {
  readonly map = new Map<string | number | boolean | bigint | null, PyValue>();
}

/** An allow-listed callable (a class or function) and what it builds. */
export interface PyObject {
  readonly pyName: string;
  /** REDUCE / NEWOBJ: calling it. */
  call?(args: PyTuple): PyValue;
  /** BUILD: setting the state of an object it made. */
  build?(state: PyValue): void;
}

export type ResolveGlobal = (module: string, name: string) => PyObject;

export class PickleError extends Error {
  override name = 'PickleError';
}

function tuple(items: PyValue[]): PyTuple {
  return Object.freeze(items);
}

function typeName(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyDict) return 'dict';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (typeof v === 'object') return (v as PyObject).pyName ?? 'object';
  return typeof v;
}

/** Runs the pickle in `bytes` and returns the value it describes. */
export function unpickle(bytes: Uint8Array, resolveGlobal: ResolveGlobal): PyValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });

  const fail = (msg: string, at = pos): never => {
    throw new PickleError(`${msg} (at byte ${at})`);
  };
  const need = (n: number): void => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > bytes.length) fail(`truncated: needs ${n} more bytes, ${bytes.length - pos} left`);
  };
  const advance = (n: number): number => {
    need(n);
    pos += n;
    return pos - n;
  };
  const u8 = () => bytes[advance(1)];
  const u16 = () => dv.getUint16(advance(2), true);
  const u32 = () => dv.getUint32(advance(4), true);
  const i32 = () => dv.getInt32(advance(4), true);
  const u64 = (): number => {
    need(8);
    const lo = dv.getUint32(pos, true);
    const hi = dv.getUint32(pos + 4, true);
    pos += 8;
    if (hi >= 2 ** 21) fail(`length ${hi * 2 ** 32 + lo} is too large`);
    return hi * 2 ** 32 + lo;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.slice(pos - n, pos);
  };
  const text = (n: number): string => {
    const b = take(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated: missing end of line');
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined) fail('stack underflow');
    return v;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    if (marks.length === 0) fail('no MARK to pop to');
    stack = marks.pop()!;
    return items;
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const dictKey = (k: PyValue): string | number | boolean | bigint | null => {
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean' || typeof k === 'bigint') return k;
    return fail(`a dict key must be a string or number, got ${typeName(k)}`);
  };
  const setItems = (d: PyValue, items: PyValue[]): void => {
    if (!(d instanceof PyDict)) fail(`SETITEM(S) on a ${typeName(d)}, expected a dict`);
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (d as PyDict).map.set(dictKey(items[i]), items[i + 1]);
  };
  const append = (l: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(l) || Object.isFrozen(l)) fail(`APPEND(S) on a ${typeName(l)}, expected a list`);
    (l as PyValue[]).push(...items);
  };
  const call = (f: PyValue, args: PyValue): PyValue => {
    if (!Array.isArray(args) || !Object.isFrozen(args)) fail(`REDUCE arguments must be a tuple, got ${typeName(args)}`);
    const fn = f as PyObject | null;
    if (fn === null || typeof fn !== 'object' || typeof fn.call !== 'function') fail(`cannot call a ${typeName(f)}`);
    return fn!.call!(args as PyTuple);
  };

  const start = pos;
  for (;;) {
    const at = pos;
    if (pos >= bytes.length) fail('truncated: the pickle ends before its STOP opcode', start);
    const op = bytes[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`pickle protocol ${bytes[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: only a hint for buffered readers
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail('the pickle ended with a malformed stack');
        return pop();
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x30: // POP
        if (stack.length === 0) fail('stack underflow');
        stack.pop();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0 || n > 64) fail(`LONG4 of ${n} bytes is not supported`);
        stack.push(long(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str): kept as latin-1 text
        stack.push(new TextDecoder('latin1').decode(take(u8())));
        break;
      case 0x54: {
        // BINSTRING
        const n = i32();
        stack.push(new TextDecoder('latin1').decode(take(n)));
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()));
        break;
      case 0x98: // READONLY_BUFFER: no-op for in-band data
        top();
        break;
      case 0x97: // NEXT_BUFFER
        fail('out-of-band buffers (pickle protocol 5 buffer_callback) are not supported', at);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x74: {
        // TUPLE (popMark swaps `stack`, so it must run before `stack.push` is looked up)
        const items = popMark();
        stack.push(tuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(resolveGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), the same as calling for the allowed classes
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top() as PyObject | null;
        if (obj === null || typeof obj !== 'object' || typeof obj.build !== 'function') fail(`cannot set the state of a ${typeName(obj)}`);
        obj!.build!(state);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo entry ${i} does not exist`, at);
        stack.push(memo.get(i)!);
        break;
      }
      default:
        fail(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}'); only data-only pickles of protocol 2-5 are read`,
          at,
        );
    }
  }
}
