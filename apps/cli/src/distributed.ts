import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, ImageDataset, ImageSample } from '@mge/data';
import { DistributedSampler, getRank, getWorldSize, init, launchedByMpi } from '@mge/distributed';
import { CliError, EXIT } from './errors.js';
import type { Io, Sink } from './io.js';

/**
 * `mge train --nproc N`: data-parallel training on N processes of this machine, started by
 * Open MPI's mpirun (the CLI re-runs itself under `mpirun -n N`). For several machines run
 * `mpirun -n N --hostfile hosts mge train --nproc N ...` (or srun) directly: a process started by
 * a launcher does not launch again.
 */

/** The mpirun command line for N ranks of this CLI with `args` (the same flags, --nproc included). */
export function mpirunCommand(
  nproc: number,
  args: readonly string[],
  stdout: Sink = process.stdout,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const here = fileURLToPath(import.meta.url);
  // from sources (tsx) this file sits next to main.ts; built, everything is bundled into main.js
  const entry = here.endsWith('.ts') ? join(dirname(here), 'main.ts') : here;
  // Open MPI refuses to run as root unless told, and counts slots by cores: N ranks may exceed them
  const flags = ['--oversubscribe', '--bind-to', 'none', '-n', String(nproc)];
  if (process.getuid?.() === 0) flags.unshift('--allow-run-as-root');
  // the ranks share the cores: one kernel thread each unless the user chose
  const threads = String(Math.max(1, Math.floor(availableParallelism() / nproc)));
  return {
    command: 'mpirun',
    args: [...flags, process.execPath, ...process.execArgv, entry, ...args],
    // mpirun gives the ranks a terminal of their own: tell rank 0 whether the real output is one
    env: {
      ...process.env,
      MGE_NUM_THREADS: process.env.MGE_NUM_THREADS ?? threads,
      MGE_CLI_TTY: stdout.isTTY ? String(stdout.columns ?? 80) : '0',
    },
  };
}

/** Runs the command on N ranks under mpirun, forwarding their output; resolves with mpirun's exit code. */
export function launchRanks(command: string, nproc: number, args: readonly string[], io: Io): Promise<number> {
  const m = mpirunCommand(nproc, [command, ...args], io.stdout);
  return new Promise((resolve, reject) => {
    const child = spawn(m.command, m.args, { env: m.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (c: string) => io.stdout.write(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => io.stderr.write(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new CliError(
              `mge ${command}: --nproc ${nproc} needs Open MPI's mpirun, which is not on PATH; install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)`,
            )
          : e,
      );
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? EXIT.interrupted : EXIT.failure)));
  });
}

export interface Ranks {
  rank: number;
  size: number;
  /** Where this rank writes progress: the real stdout on rank 0, else a `[rank r]` prefixed stdout with --verbose, else nothing. */
  stdout: Sink;
}

/** Joins the MPI world of `--nproc N` (launched by mpirun or srun); checks that N matches the launcher's. */
export function joinRanks(command: string, nproc: number, verbose: boolean, io: Io): Ranks {
  if (!launchedByMpi()) throw new Error(`mge ${command}: joinRanks outside mpirun`);
  try {
    init({ expectedWorldSize: nproc });
  } catch (e) {
    throw new CliError(`mge ${command}: --nproc ${nproc}: ${(e as Error).message}`);
  }
  const rank = getRank();
  const size = getWorldSize();
  const stdout =
    rank === 0 ? launcherTerminal(io.stdout) : verbose ? prefixed(io.stdout, `[rank ${rank}] `) : { write: () => true, isTTY: false };
  return { rank, size, stdout };
}

/** Rank 0's stdout, a terminal only when `mge train --nproc` itself writes to one (see mpirunCommand). */
function launcherTerminal(sink: Sink): Sink {
  const tty = process.env.MGE_CLI_TTY;
  if (tty === undefined) return sink;
  const columns = Number(tty);
  return { write: (text: string) => sink.write(text), isTTY: columns > 0, columns: columns > 0 ? columns : undefined };
}

function prefixed(sink: Sink, prefix: string): Sink {
  let atLineStart = true;
  return {
    isTTY: false,
    write(text: string) {
      let out = '';
      for (const ch of text) {
        if (atLineStart && ch !== '\n') out += prefix;
        out += ch;
        atLineStart = ch === '\n';
      }
      return sink.write(out);
    },
  };
}

/** This rank's share of one epoch: DistributedSampler's shard of the epoch's shuffled order, as a data set. */
export function shardOf(dataset: ImageDataset, seed: number): ImageDataset {
  const order = new DistributedSampler(dataset, { seed }).order();
  const shard: Dataset<ImageSample> & { imageShape: ImageDataset['imageShape'] } = {
    length: order.length,
    imageShape: dataset.imageShape,
    get: (i: number) => dataset.get(order[i]),
  };
  return shard;
}
