import { noGrad, zeros } from '@mge/core';
import { formatSummary, summarize } from '@mge/models-zoo';
import { parseCommand } from '../args.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { zooEntry } from '../models.js';

const CMD = 'summary';

/** `mge summary <model>`: layers, output shapes and parameter counts (runs on the js device). */
export async function summaryCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(CMD, argv, { json: { type: 'boolean' } }, [1, 1, 'the model name (mge summary <model>)']);
  const entry = zooEntry(CMD, positionals[0]);
  const model = entry.create();
  const input = entry.inputDType === 'int32' ? zeros([1, ...entry.inputShape], { dtype: 'int32' }) : zeros([1, ...entry.inputShape]);
  const s = noGrad(() => summarize(model, input));
  if (values.json) io.stdout.write(`${JSON.stringify({ model: positionals[0], ...s })}\n`);
  else io.stdout.write(`${positionals[0]}: ${entry.description}\n\n${formatSummary(s)}\n`);
  return EXIT.ok;
}
