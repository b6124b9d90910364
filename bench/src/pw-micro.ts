// Packed 1×1 convolutions alone (hot caches), 1 thread, CPU time: GFLOP/s per layer shape.
import { CpuBackend, setNumThreads } from '@mge/kernels-cpu';

const cpu = new CpuBackend();
setNumThreads(Number(process.env.MGE_NUM_THREADS ?? 1));
const shapes: [string, number, number, number][] = (
  process.argv[2] ?? '2048,512,7;512,2048,7;960,160,7;160,960,7;1024,256,14;256,1024,14;512,128,28;128,512,28;64,256,56;256,64,56'
)
  .split(';')
  .map((s) => {
    const [c, o, hw] = s.split(',').map(Number);
    return [`${c}→${o} @${hw}²`, c, o, hw];
  });
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (const [name, c, o, hw] of shapes) {
  const p = { n: 1, c, h: hw, w: hw, o, kh: 1, kw: 1, oh: hw, ow: hw, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 };
  const x = { buf: new Float32Array(c * hw * hw).map(() => Math.random()), shape: [1, c, hw, hw], dtype: 'float32' } as never;
  const w = { buf: new Float32Array(o * c).map(() => Math.random() - 0.5), shape: [o, c, 1, 1], dtype: 'float32' } as never;
  const b = { buf: new Float32Array(o), shape: [o], dtype: 'float32' } as never;
  const packed = cpu.prepackConv2d(w, p) as Float32Array;
  const run = () => cpu.release(cpu.conv2dEpilogue(x, w, p, { bias: b, activation: 'relu', packed }));
  for (let i = 0; i < 5; i++) run();
  const best: number[] = [];
  for (let r = 0; r < 5; r++) {
    const reps = Math.max(3, Math.round(2e8 / (2 * c * o * hw * hw)));
    const t0 = cpuMs();
    for (let i = 0; i < reps; i++) run();
    best.push((cpuMs() - t0) / reps);
  }
  const ms = Math.min(...best);
  console.log(`${name.padEnd(20)} ${ms.toFixed(3)} ms  ${((2 * c * o * hw * hw) / ms / 1e6).toFixed(1)} GFLOP/s`);
}
