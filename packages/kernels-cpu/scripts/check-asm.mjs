#!/usr/bin/env node
// Guards the SIMD kernels against a regression class no test catches: the compiler keeping
// vector accumulators in memory (an array of __m256 is the usual trigger), which cuts a
// micro-kernel to a third of the FMA peak with every result still correct.
// Disassembles each per-ISA kernel object of the built addon and fails if an innermost loop
// (a backward branch with no other backward branch inside) that does vector FMAs also stores
// to the stack. Spilled loads of loop-invariant values are tolerated; stores are not.
//
//   node scripts/check-asm.mjs [build dir]   (default: build/Release; test-native.mjs also runs it
//                                             on its aarch64 objects)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const release = resolve(process.argv[2] ?? join(pkgDir, 'build', 'Release'));

function objects(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.o'))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((p) => /mge_simd_|gemm_kernel_|conv_direct_/.test(p));
}

// Parses `objdump -d` into functions of { addr, text } instructions.
function disassemble(obj, objdump) {
  const r = spawnSync(objdump, ['-d', '-C', '--no-show-raw-insn', obj], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${objdump} failed on ${obj}: ${r.stderr}`);
  const fns = [];
  let cur = null;
  for (const line of r.stdout.split('\n')) {
    const head = /^([0-9a-f]+) <(.+)>:$/.exec(line);
    if (head) {
      cur = { name: head[2], insns: [] };
      fns.push(cur);
      continue;
    }
    const ins = /^\s+([0-9a-f]+):\s+(.*)$/.exec(line);
    if (ins && cur) cur.insns.push({ addr: Number.parseInt(ins[1], 16), text: ins[2].trim() });
  }
  return fns;
}

const isFma = (t) => /^v?fn?m(add|sub)\d*[a-z]*\s|^fml[as]\s|^fmla\s|^fmls\s/.test(t);
// x86: a store has the memory operand last (AT&T); aarch64: str/stp to sp.
// Only vector registers count: a spilled loop counter costs little, a spilled sum a lot.
function stackStore(t) {
  if (/^(str|stp|stur)\s+[qds]\d+\b.*\[sp\b/.test(t)) return true;
  const m = /^(v?mov\w*|v?extract\w*)\s+(.*)$/.exec(t);
  if (!m) return false;
  const ops = m[2].split(/,(?![^(]*\))/);
  return /%[xyz]mm/.test(ops[0] ?? '') && /\(%(rsp|rbp)\)/.test(ops[ops.length - 1] ?? '');
}

function innermostLoops(fn) {
  const loops = [];
  for (const ins of fn.insns) {
    const j = /^(j\w+|b(\.\w+)?|cbn?z|tbn?z)\s+([0-9a-f]+)\b/.exec(ins.text);
    if (!j) continue;
    const target = Number.parseInt(j[3], 16);
    if (target < ins.addr) loops.push({ start: target, end: ins.addr });
  }
  return loops.filter(
    (l) => !loops.some((o) => o !== l && o.start >= l.start && o.end <= l.end && (o.start !== l.start || o.end !== l.end)),
  );
}

function main() {
  const objs = objects(release);
  if (objs.length === 0) {
    console.error(`[check-asm] no kernel objects under ${release}; build the addon first`);
    process.exit(1);
  }
  let bad = 0;
  let checked = 0;
  for (const obj of objs) {
    // ELF e_machine 183 is aarch64 (disassembled by the cross binutils), 62 x86-64.
    const objdump = readFileSync(obj).readUInt16LE(18) === 183 ? 'aarch64-linux-gnu-objdump' : 'objdump';
    for (const fn of disassemble(obj, objdump)) {
      for (const loop of innermostLoops(fn)) {
        const body = fn.insns.filter((i) => i.addr >= loop.start && i.addr <= loop.end);
        if (!body.some((i) => isFma(i.text))) continue;
        checked++;
        const stores = body.filter((i) => stackStore(i.text));
        if (stores.length > 0) {
          bad++;
          console.error(
            `[check-asm] ${obj.slice(release.length + 1)}: ${fn.name}: FMA loop at 0x${loop.start.toString(16)} stores to the stack ${stores.length}× per step, e.g. '${stores[0].text}'`,
          );
        }
      }
    }
  }
  if (bad > 0) {
    console.error(
      `[check-asm] ${bad} of ${checked} FMA loops spill their accumulators (keep them in named variables or flat arrays; see native/gemm_kernel_avx2.cc)`,
    );
    process.exit(1);
  }
  console.log(`[check-asm] ${checked} FMA inner loops in ${objs.length} kernel objects: no stack stores`);
}

main();
