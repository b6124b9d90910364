import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { modelNames } from './models.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * node:util parseArgs in strict mode, with its errors turned into one-line usage errors
 * that name the command. `positionals` is the allowed count range.
 */
export function parseCommand(
  command: string,
  argv: readonly string[],
  options: OptionSpec,
  positionals: [min: number, max: number, names: string],
): Parsed {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    // parseArgs' messages carry a hint about '--' after a period; the first sentence is the useful part
    const msg = (e as Error).message.split(/\. (?=To specify)/)[0];
    throw new UsageError(`mge ${command}: ${msg}`, command);
  }
  const values = parsed.values as Parsed['values'];
  const rest = parsed.positionals;
  if (!values.help) {
    const [min, max, names] = positionals;
    if (rest.length < min) throw new UsageError(`mge ${command}: missing ${names}`, command);
    if (rest.length > max) throw new UsageError(`mge ${command}: unexpected argument '${rest[max]}'`, command);
  }
  return { values, positionals: rest };
}

/**
 * parseArgs refuses `--lr -1` as ambiguous; a value that looks like a negative number is
 * meant as the value, so it is joined as `--lr=-1` (and then judged by the flag's own check).
 */
function joinNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

function bad(command: string, flag: string, expected: string, got: string): never {
  throw new UsageError(`mge ${command}: --${flag} must be ${expected}, got '${got}'`, command);
}

/** An integer flag in [min, max]; undefined when absent. */
export function intFlag(command: string, flag: string, raw: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  const n = /^[+-]?\d+$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? min === 0
          ? 'a non-negative integer'
          : min === 1
            ? 'a positive integer'
            : `an integer ≥ ${min}`
        : `an integer in [${min}, ${max}]`;
    bad(command, flag, range, s);
  }
  return n;
}

/** A finite number flag with lower bound `min` (exclusive when `exclusive`). */
export function numberFlag(
  command: string,
  flag: string,
  raw: unknown,
  min: number,
  exclusive: boolean,
  max = Number.POSITIVE_INFINITY,
): number | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  // decimal only: Number() would also take 0x10, 0b1, 0o7 and Infinity
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : Number.NaN;
  const okLow = exclusive ? n > min : n >= min;
  if (!Number.isFinite(n) || !okLow || n > max) {
    const range = max === Number.POSITIVE_INFINITY ? `${exclusive ? '>' : '≥'} ${min}` : `in ${exclusive ? '(' : '['}${min}, ${max}]`;
    bad(command, flag, `a decimal number ${range}`, s);
  }
  return n;
}

export function choiceFlag<T extends string>(command: string, flag: string, raw: unknown, choices: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw);
  if (!(choices as readonly string[]).includes(s)) bad(command, flag, `one of ${choices.join(', ')}`, s);
  return s as T;
}

/** A --model flag: a name from the zoo; anything else is a usage error like every other bad flag. */
export function modelFlag(command: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw);
  if (!modelNames().includes(s)) bad(command, 'model', `a model from the zoo (${modelNames().join(', ')})`, s);
  return s;
}

export function stringFlag(command: string, flag: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw);
  if (s.length === 0) bad(command, flag, 'a non-empty string', s);
  return s;
}
