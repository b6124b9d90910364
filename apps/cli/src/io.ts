/** Where a command writes. Tests pass string sinks; the real CLI passes process.stdout/stderr. */
export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Sink;
  stderr: Sink;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** An Io that records everything written, for tests and for `main()` called in-process. */
export function memoryIo(): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    out: () => out,
    err: () => err,
  };
}
