/**
 * Errors the CLI expects. Both are printed as one line on stderr (never a stack trace);
 * a UsageError also points at `mge <command> --help` and exits with code 2.
 */
export class CliError extends Error {
  override name = 'CliError';
}

export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage, 130 interrupted by Ctrl-C (128 + SIGINT). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** The first line of an error's message, with a library's `op: ` prefixes kept (they name the operator). */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n').find((l) => l.trim().length > 0) ?? 'unknown error';
  return first.trim();
}
