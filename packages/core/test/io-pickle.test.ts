import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CheckpointError, loadPickleStateDict } from '../src/index.js';

// Fixtures made by io-fixtures/make-pickles.py (numpy 1.24 for state-p*.pkl, numpy 2.x for state-np2-p4.pkl).
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'io-fixtures');
const read = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));
const expected: Record<string, { shape: number[]; dtype: string; values: (number | boolean)[] }> = JSON.parse(
  readFileSync(join(fixtures, 'expected.json'), 'utf8'),
);
const MARKER = '/tmp/mge-pickle-was-executed';

describe('loadPickleStateDict', () => {
  for (const name of ['state-p2.pkl', 'state-p3.pkl', 'state-p4.pkl', 'state-p5.pkl', 'state-np2-p4.pkl']) {
    it(`reads ${name}: keys in order, shapes, dtypes and values`, () => {
      const sd = loadPickleStateDict(read(name), { source: name });
      expect([...sd.keys()]).toEqual(Object.keys(expected));
      for (const [k, e] of Object.entries(expected)) {
        const t = sd.get(k)!;
        expect(t.shape, k).toEqual(e.shape);
        expect(t.dtype, k).toBe(e.dtype);
        const got = Array.from(t.dataSync(), (v) => (e.dtype === 'bool' ? v === 1 : v));
        expect(got, k).toEqual(e.values);
      }
    });
  }

  it('lays a Fortran-ordered array out row-major and byte-swaps big-endian data', () => {
    const sd = loadPickleStateDict(read('state-p4.pkl'));
    expect(sd.get('fc.weight')!.numpySync()).toEqual(
      [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => Math.fround((r * 4 + c) / 7))).slice(0, 3),
    );
    expect(Array.from(sd.get('fc.big_endian')!.dataSync())).toEqual([1, -2.5, 3.75]);
  });

  it('refuses a pickle that calls os.system, naming the global, and runs nothing', () => {
    rmSync(MARKER, { force: true });
    expect(() => loadPickleStateDict(read('evil-system.pkl'), { source: 'evil-system.pkl' })).toThrow(
      /loadPickleStateDict: evil-system.pkl: refusing pickle global 'posix.system': only numpy arrays in a dict are allowed/,
    );
    expect(() => loadPickleStateDict(read('evil-eval.pkl'))).toThrow(/refusing pickle global 'builtins.eval'/);
    expect(existsSync(MARKER)).toBe(false);
  });

  it('refuses hand-made pickles with other dangerous globals', () => {
    const enc = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
    // protocol 2: GLOBAL 'os system', the argument tuple, REDUCE, STOP
    expect(() => loadPickleStateDict(enc('\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.'))).toThrow(/refusing pickle global 'os.system'/);
    expect(() => loadPickleStateDict(enc('\x80\x02csubprocess\nPopen\n.'))).toThrow(/refusing pickle global 'subprocess.Popen'/);
    // _reconstruct may only build numpy.ndarray: here it is handed OrderedDict instead.
    expect(() =>
      loadPickleStateDict(enc('\x80\x02cnumpy.core.multiarray\n_reconstruct\nccollections\nOrderedDict\nK\x00\x85C\x01b\x87R.')),
    ).toThrow(/_reconstruct may only build numpy.ndarray, got collections.OrderedDict/);
    // _codecs.encode is allowed only as the latin-1 bytes helper.
    expect(() => loadPickleStateDict(enc('\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00utf-7\x86R.'))).toThrow(
      /only allowed for latin-1/,
    );
    // INST / OBJ and persistent ids are not data-only opcodes.
    expect(() => loadPickleStateDict(enc('\x80\x02(ios\nsystem\n.'))).toThrow(/unsupported pickle opcode 0x69 \('i'\)/);
    expect(() => loadPickleStateDict(enc('\x80\x02X\x01\x00\x00\x00aQ.'))).toThrow(/unsupported pickle opcode 0x51/);
  });

  it('rejects truncated or malformed pickles and non-dict roots', () => {
    const good = read('state-p4.pkl');
    expect(() => loadPickleStateDict(good.subarray(0, good.length - 30))).toThrow(CheckpointError);
    expect(() => loadPickleStateDict(good.subarray(0, 300))).toThrow(/truncated/);
    expect(() => loadPickleStateDict(new Uint8Array([1, 2, 3]))).toThrow(/not a binary pickle/);
    expect(() => loadPickleStateDict(new Uint8Array([0x80, 0x02, 0x4b, 0x05, 0x2e]))).toThrow(
      /expected a dict or OrderedDict of numpy arrays, got number/,
    );
    // {'a': 5}
    expect(() => loadPickleStateDict(new Uint8Array([0x80, 0x02, 0x7d, 0x8c, 0x01, 0x61, 0x4b, 0x05, 0x73, 0x2e]))).toThrow(
      /'a': expected a numpy array, got number/,
    );
    expect(() => loadPickleStateDict(new Uint8Array([0x80, 0x02, 0x68, 0x09, 0x2e]))).toThrow(/memo entry 9 does not exist/);
  });

  it('rejects an array whose data does not match its shape', () => {
    const bytes = read('state-p4.pkl');
    // Patch the first shape (2, 1, 3, 3) to (2, 1, 3, 4): the data no longer fits.
    const at = bytes.findIndex(
      (_, i) =>
        bytes[i] === 0x4b &&
        bytes[i + 1] === 2 &&
        bytes[i + 2] === 0x4b &&
        bytes[i + 3] === 1 &&
        bytes[i + 4] === 0x4b &&
        bytes[i + 5] === 3 &&
        bytes[i + 6] === 0x4b &&
        bytes[i + 7] === 3,
    );
    expect(at).toBeGreaterThan(0);
    const bad = bytes.slice();
    bad[at + 7] = 4;
    expect(() => loadPickleStateDict(bad)).toThrow(/'conv1.weight': shape \(2, 1, 3, 4\) of f4 needs 96 bytes, got 72/);
  });
});
