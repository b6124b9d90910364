import { statSync } from 'node:fs';
import { type Tensor, zeros } from '@mge/core';
import { trace } from '@mge/jit';
import { dump, OPSET } from '@mge/onnx';
import { choiceFlag, intFlag, modelFlag, parseCommand, stringFlag } from '../args.js';
import { DEVICE_CHOICES, loadBackends, selectDevice } from '../devices.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { openCheckpoint, restoreModel } from '../restore.js';

const CMD = 'export';

export const EXPORT_OPTIONS = {
  onnx: { type: 'string' },
  model: { type: 'string' },
  'batch-size': { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `mge export <checkpoint> --onnx out.onnx`: the trained model's inference as an ONNX file (weights inside). */
export async function exportCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(CMD, argv, EXPORT_OPTIONS, [
    1,
    1,
    'the checkpoint file (mge export <checkpoint> --onnx <file>)',
  ]);
  const out = stringFlag(CMD, 'onnx', values.onnx);
  if (out === undefined) throw new UsageError(`mge ${CMD}: --onnx <file> is required (where to write the ONNX model)`, CMD);
  const batch = intFlag(CMD, 'batch-size', values['batch-size'], 1) ?? 1;
  const deviceChoice = choiceFlag(CMD, 'device', values.device, DEVICE_CHOICES) ?? 'auto';
  const opened = await openCheckpoint(CMD, positionals[0], modelFlag(CMD, values.model));
  await loadBackends(deviceChoice);
  const device = selectDevice(CMD, deviceChoice);
  const model = restoreModel(CMD, opened);
  const side = opened.entry.inputShape[1];
  const shape = [batch, 1, side, side];
  // one traced call records the inference graph; dump writes it
  const infer = trace((x: Tensor) => model(x) as Tensor);
  const y = infer(zeros(shape));
  try {
    await dump(infer, out, {
      names: model,
      inputNames: ['input'],
      outputNames: ['logits'],
      docString: `${opened.name} from ${opened.loaded.path}`,
    });
  } catch (e) {
    throw new CliError(`mge ${CMD}: cannot write '${out}': ${(e as Error).message}`);
  }
  const bytes = statSync(out).size;
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ checkpoint: opened.loaded.path, model: opened.name, onnx: out, bytes, opset: OPSET, device, input: shape, output: [...y.shape] })}\n`,
    );
  } else {
    io.stdout.write(
      `wrote ${out}: ${opened.name}, ONNX opset ${OPSET}, ${bytes} bytes; input 'input' [${shape.join(', ')}] → output 'logits' [${y.shape.join(', ')}]\n`,
    );
  }
  return EXIT.ok;
}
