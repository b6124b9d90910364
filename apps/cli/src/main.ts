#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { devicesCommand } from './commands/devices.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { predictCommand } from './commands/predict.js';
import { summaryCommand } from './commands/summary.js';
import { trainCommand } from './commands/train.js';
import { CliError, EXIT, oneLine, UsageError } from './errors.js';
import { commandHelp, topHelp } from './help.js';
import { type Io, processIo } from './io.js';

export { type Io, memoryIo, processIo, type Sink } from './io.js';

type Command = (argv: readonly string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  train: trainCommand,
  eval: evalCommand,
  predict: predictCommand,
  summary: summaryCommand,
  export: exportCommand,
  devices: devicesCommand,
};

/**
 * Runs one `mge` command and returns its exit code. Errors become one line on stderr
 * (a stack trace only with MGE_DEBUG=1); nothing here calls process.exit.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  // The CLI reports unusable devices itself (mge devices, the train header).
  process.env.MGE_QUIET ??= '1';
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const help = rest[0] !== undefined ? commandHelp(rest[0]) : undefined;
    io.stdout.write(`${help ?? topHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(`mge: unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')} (mge --help)\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${commandHelp(name)}\n`);
    return EXIT.ok;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    if (process.env.MGE_DEBUG === '1' && e instanceof Error) io.stderr.write(`${e.stack}\n`);
    const msg = oneLine(e);
    if (e instanceof UsageError) {
      io.stderr.write(`${msg}\n(see 'mge ${e.command ?? name} --help')\n`);
      return EXIT.usage;
    }
    // errors from the libraries name their operator; prefix the command when they don't name ours
    io.stderr.write(`${e instanceof CliError ? msg : `mge ${name}: ${msg}`}\n`);
    return EXIT.failure;
  }
}

const VERSION = '0.1.0';

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * `pnpm mge …` runs the CLI from the workspace root, whatever folder the user stood in; pnpm
 * names that folder in INIT_CWD, and relative paths in flags mean paths from there.
 */
export function userFolder(env: NodeJS.ProcessEnv, cwd: string): string {
  return env.npm_lifecycle_event === 'mge' && env.INIT_CWD ? env.INIT_CWD : cwd;
}

if (isEntryPoint()) {
  process.chdir(userFolder(process.env, process.cwd()));
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`mge: ${oneLine(e)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
