// A/B of kernel modules in one process: LeNet inference b256's layers on each module, alternated
// run by run, CPU ms per call (min and median).
//   npx tsx --conditions=source src/wasm/ab.ts a.wasm b.wasm [--runs 15] [--batch 256]
import { loadKernels } from '@mge/kernels-wasm';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : d);
const B = opt('batch', 256);
const RUNS = opt('runs', 15);
const files = args.filter((a, i) => a.endsWith('.wasm') && !args[i - 1]?.startsWith('--'));

async function layers(file: string) {
  const k = await loadKernels(new URL(file, `file://${process.cwd()}/`));
  const buf = (n: number, seed = 1) => {
    const p = k.mge_alloc(n * 4);
    const v = new Float32Array(k.memory.buffer, p, n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      v[i] = (s / 2 ** 32) * 2 - 1;
    }
    return p;
  };
  const params = (vals: number[]) => {
    const p = k.mge_alloc(vals.length * 4);
    new Int32Array(k.memory.buffer, p, vals.length).set(vals);
    return p;
  };
  const conv = (n: number, c: number, h: number, o: number, kk: number) =>
    params([n, c, h, h, o, kk, kk, h - kk + 1, h - kk + 1, 1, 1, 0, 0, 1, 1, 1]);
  const pool = (n: number, c: number, h: number) => params([n, c, h, h, 2, 2, h / 2, h / 2, 2, 2, 0, 0]);
  const mm = (m: number, n: number, kk: number) => params([1, m, n, kk, 0, 1, 1, 1]);
  const x = buf(B * 1024, 3);
  const [w1, b1, y1, p1, w2, b2, y2, p2] = [
    buf(150, 4),
    buf(6, 5),
    buf(B * 4704),
    buf(B * 1176),
    buf(2400, 6),
    buf(16, 7),
    buf(B * 1600),
    buf(B * 400),
  ];
  const [f1w, f1b, h1, f2w, f2b, h2, f3w, f3b, out] = [
    buf(48000, 8),
    buf(120, 9),
    buf(B * 120),
    buf(10080, 10),
    buf(84, 11),
    buf(B * 84),
    buf(840, 12),
    buf(10, 13),
    buf(B * 10),
  ];
  const [pc1, pp1, pc2, pp2, pm1, pm2, pm3] = [
    conv(B, 1, 32, 6, 5),
    pool(B, 6, 28),
    conv(B, 6, 14, 16, 5),
    pool(B, 16, 10),
    mm(B, 120, 400),
    mm(B, 84, 120),
    mm(B, 10, 84),
  ];
  const steps: [string, () => void][] = [
    ['conv1', () => k.mge_conv2d(x, w1, y1, pc1, b1, 1)],
    ['pool1', () => k.mge_pool2d(1, y1, p1, pp1)],
    ['conv2', () => k.mge_conv2d(p1, w2, y2, pc2, b2, 1)],
    ['pool2', () => k.mge_pool2d(1, y2, p2, pp2)],
    [
      'fcs',
      () => {
        k.mge_matmul(p2, f1w, h1, pm1, f1b, 1);
        k.mge_matmul(h1, f2w, h2, pm2, f2b, 1);
        k.mge_matmul(h2, f3w, out, pm3, f3b, 0);
      },
    ],
  ];
  const result = () => new Float32Array(k.memory.buffer, out, B * 10).slice();
  return { steps, result };
}

const mods = await Promise.all(files.map(layers));
const cpu = (f: () => void) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
for (const m of mods) for (let r = 0; r < 5; r++) for (const [, f] of m.steps) f();
const ref = mods[0].result();
for (const [j, m] of mods.entries()) {
  const r = m.result();
  let e = 0;
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    e = Math.max(e, Math.abs(r[i] - ref[i]));
    s = Math.max(s, Math.abs(ref[i]));
  }
  console.log(`${files[j]}: max |diff| vs ${files[0]} ${e.toExponential(2)} (scale ${s.toFixed(2)})`);
}
const t = mods.map((m) => m.steps.map(() => [] as number[]));
const tot = mods.map(() => [] as number[]);
for (let r = 0; r < RUNS; r++)
  for (const [j, m] of mods.entries()) {
    let sum = 0;
    for (const [i, [, f]] of m.steps.entries()) {
      const c = cpu(f);
      t[j][i].push(c);
      sum += c;
    }
    tot[j].push(sum);
  }
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
const names = mods[0].steps.map(([n]) => n);
console.log(['module'.padEnd(24), ...names.map((n) => n.padStart(12)), 'total'.padStart(12)].join(''));
for (const [j, f] of files.entries())
  console.log(
    [
      f.slice(-24).padEnd(24),
      ...t[j].map((a) => `${Math.min(...a).toFixed(2)}/${med(a).toFixed(2)}`.padStart(12)),
      `${Math.min(...tot[j]).toFixed(2)}/${med(tot[j]).toFixed(2)}`.padStart(12),
    ].join(''),
  );
