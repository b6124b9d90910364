import type { Timing } from './stats.js';

/** One measured line: a workload on one implementation. */
export interface Row {
  group: string;
  workload: string;
  impl: string;
  timing: Timing;
  /** Throughput in `unit` (GFLOP/s, images/s), computed from the median. */
  value: number;
  unit: string;
}

/** What every result depends on: printed with the table and stored with the rows. */
export interface Context {
  /** The cpu backend's ISA path (avx512, avx2, neon, portable; MGE_CPU_ISA forces one). */
  isa: string;
  /** CPU model name. */
  cpu: string;
  /** Single-thread FMA peak of the ISA path measured at the start of the run (0: not measured). */
  fmaPeakGflops: number;
  threads: number;
}

export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];

  constructor(readonly context: Context) {}

  /** One line naming the ISA path, the CPU and the measured peak, printed with every table. */
  contextLine(): string {
    const c = this.context;
    const peak = c.fmaPeakGflops > 0 ? `${c.fmaPeakGflops.toFixed(0)} GFLOP/s per thread` : 'n/a';
    return `ISA path: ${c.isa} · CPU: ${c.cpu} · measured FMA peak (${c.isa}): ${peak} · cpu backend threads: ${c.threads}`;
  }

  add(row: Row): void {
    this.rows.push(row);
    console.log(
      `  ${row.workload.padEnd(34)} ${row.impl.padEnd(22)} ${row.value.toFixed(row.value >= 100 ? 0 : 2).padStart(10)} ${row.unit.padEnd(9)} median ${row.timing.medianMs.toFixed(3)} ms (${row.timing.runs} runs)`,
    );
  }

  note(s: string): void {
    this.notes.push(s);
    console.log(`  note: ${s}`);
  }

  /** The final table: for each workload, our rows with the ratio to every peer. */
  table(ours: (impl: string) => boolean): string {
    const lines: string[] = [this.contextLine(), ''];
    const header = `| workload | implementation | throughput | median ms | spread | ratio ours/this |`;
    lines.push(header, '|---|---|---:|---:|---:|---:|');
    const workloads = [...new Set(this.rows.map((r) => r.workload))];
    for (const w of workloads) {
      const rows = this.rows.filter((r) => r.workload === w);
      const best = rows.filter((r) => ours(r.impl)).sort((a, b) => b.value - a.value)[0];
      for (const r of rows) {
        const ratio = best && !ours(r.impl) ? `${(best.value / r.value).toFixed(2)}×` : '';
        const lo = ((r.timing.medianMs - r.timing.minMs) / r.timing.medianMs) * 100;
        const hi = ((r.timing.maxMs - r.timing.medianMs) / r.timing.medianMs) * 100;
        lines.push(
          `| ${w} | ${r.impl} | ${r.value.toFixed(r.value >= 100 ? 0 : 2)} ${r.unit} | ${r.timing.medianMs.toFixed(3)} | -${lo.toFixed(0)}/+${hi.toFixed(0)}% | ${ratio} |`,
        );
      }
    }
    return lines.join('\n');
  }

  /** One line per workload measured on both: how many times faster `ours` is than `peer`. */
  ratios(ours: string, peer: string): string[] {
    const lines: string[] = [];
    for (const w of [...new Set(this.rows.map((r) => r.workload))]) {
      const a = this.rows.find((r) => r.workload === w && r.impl === ours);
      const b = this.rows.find((r) => r.workload === w && r.impl === peer);
      if (a && b) lines.push(`${w}: ${ours} / ${peer} = ${(a.value / b.value).toFixed(2)}×`);
    }
    return lines;
  }
}
