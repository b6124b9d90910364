// onnxruntime-node's own per-node profile of a zoo network exported by the zoo bench
// ($TMPDIR/mge-bench-zoo/<name>.onnx), summed by operator kind and by node, for comparison with
// zoo-infer-profile.ts's per-layer table of ours.
//   pnpm --filter @mge/bench exec tsx src/ort-profile.ts mobilenet_v2 [runs] [threads]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const [name = 'mobilenet_v2', runsArg = '20', threadsArg = '1'] = process.argv.slice(2);
const runs = Number(runsArg);
const session = await ort.InferenceSession.create(join(tmpdir(), 'mge-bench-zoo', `${name}.onnx`), {
  intraOpNumThreads: Number(threadsArg),
  interOpNumThreads: 1,
  enableProfiling: true,
  profileFilePrefix: join(tmpdir(), `ort-profile-${process.pid}`),
});
const data = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i));
const input = new ort.Tensor('float32', data, [1, 3, 224, 224]);
for (let i = 0; i < runs; i++) await session.run({ x: input });
await (session as unknown as { endProfiling(): Promise<void> | void }).endProfiling();
const prefix = `ort-profile-${process.pid}`;
const file = readdirSync(tmpdir()).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
type Ev = { cat: string; name: string; dur: number; args?: { op_name?: string; output_type_shape?: unknown } };
if (!file) throw new Error(`ort-profile: onnxruntime wrote no profile ${prefix}*.json in ${tmpdir()}`);
const path = join(tmpdir(), file);
const events = JSON.parse(readFileSync(path, 'utf8')) as Ev[];
rmSync(path, { force: true });
// Wall time per node; on a loaded machine a run's node may wait for a core, so each node is
// summarised by its median over the runs (the first run, with its allocations, is dropped).
const byNode = new Map<string, { durs: number[]; op: string; shape: string }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  const n = byNode.get(e.name) ?? { durs: [], op, shape: JSON.stringify(e.args?.output_type_shape ?? '') };
  n.durs.push(e.dur);
  byNode.set(e.name, n);
}
// --min: each node's fastest run instead (the nearest to an unloaded machine)
const fastest = process.argv.includes('--min');
const median = (v: number[]) => {
  const rest = [...v.slice(1)].sort((a, b) => a - b);
  return (fastest ? rest[0] : rest[Math.floor((v.length - 1) / 2)]) ?? v[0];
};
const byOp = new Map<string, number>();
let total = 0;
for (const n of byNode.values()) {
  const us = median(n.durs) * runs;
  (n as unknown as { us: number }).us = us;
  byOp.set(n.op, (byOp.get(n.op) ?? 0) + us);
  total += us;
}
console.log(
  `${name}: onnxruntime ${ort.env.versions?.common ?? ''}, ${threadsArg} thread(s), kernel time per inference ${(total / runs / 1000).toFixed(2)} ms`,
);
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1])) console.log(`  ${op.padEnd(22)} ${(us / runs / 1000).toFixed(3)} ms`);
if (process.argv.includes('--nodes'))
  for (const [n, v] of byNode)
    console.log(
      `  ${n.replace('_kernel_time', '').padEnd(40)} ${v.op.padEnd(16)} ${((v as unknown as { us: number }).us / runs / 1000).toFixed(3)} ${v.shape}`,
    );
