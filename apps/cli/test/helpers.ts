import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { memoryIo } from '../src/io.js';
import { main } from '../src/main.js';

export const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `mge ...args` in this process and captures its output. */
export async function mge(...args: string[]): Promise<RunResult> {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** JSON-lines output → the objects, in order. */
export function events(out: string): Record<string, unknown>[] {
  return out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs the CLI from its sources in a child process, as a user would (`tsx src/main.ts`). */
export function spawnMge(
  args: string[],
  onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void,
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts', ...args], {
      cwd: CLI_DIR,
      env: { ...process.env, MGE_DEVICE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      onStdout?.(c, child);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), out, err }));
  });
}

/** True when the text shows no JavaScript stack frame. */
export function noStack(text: string): boolean {
  return !/\n\s+at .+[:(]/.test(text);
}
