import { choiceFlag, intFlag, modelFlag, parseCommand, stringFlag } from '../args.js';
import { nonFiniteWeights } from '../checkpoint.js';
import { digitTransform, loadDigits } from '../dataset.js';
import { DEVICE_CHOICES, loadBackends, selectDevice } from '../devices.js';
import { EXIT } from '../errors.js';
import { evaluate } from '../evaluate.js';
import { int, pct } from '../format.js';
import type { Io } from '../io.js';
import { openCheckpoint, restoreModel } from '../restore.js';

const CMD = 'eval';

export const EVAL_OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string' },
  device: { type: 'string' },
  'batch-size': { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `mge eval <checkpoint>`: loss and accuracy on the held-out split. */
export async function evalCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(CMD, argv, EVAL_OPTIONS, [1, 1, 'the checkpoint file (mge eval <checkpoint>)']);
  const deviceChoice = choiceFlag(CMD, 'device', values.device, DEVICE_CHOICES) ?? 'auto';
  const batchSize = intFlag(CMD, 'batch-size', values['batch-size'], 1, 65_536) ?? 500;
  const limit = intFlag(CMD, 'limit', values.limit, 1);
  const dataDir = stringFlag(CMD, 'data', values.data);
  const expectModel = modelFlag(CMD, values.model);

  const opened = await openCheckpoint(CMD, positionals[0], expectModel);
  const { loaded, name } = opened;
  const testSet = loadDigits(CMD, false, { dataDir, limit });
  await loadBackends(deviceChoice);
  const device = selectDevice(CMD, deviceChoice);
  const model = restoreModel(CMD, opened);
  const broken = await nonFiniteWeights(loaded.checkpoint);
  const t0 = performance.now();
  const r = await evaluate(model, testSet, digitTransform(opened.entry.inputShape[1]), batchSize);
  const seconds = (performance.now() - t0) / 1000;

  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ checkpoint: loaded.path, model: name, epoch: loaded.info.epoch, device, data: dataDir ?? 'bundled MNIST', ...r, seconds })}\n`,
    );
  } else {
    io.stdout.write(
      `${loaded.path}: ${name}, ${loaded.info.epoch} epoch${loaded.info.epoch === 1 ? '' : 's'}, on ${device}\n` +
        `held-out accuracy ${pct(r.accuracy)} (${int(r.correct)}/${int(r.count)}), loss ${r.loss.toFixed(4)}, ${seconds.toFixed(2)} s\n`,
    );
  }
  if (broken.length > 0) {
    const names = broken.length > 3 ? `${broken.slice(0, 3).join(', ')} and ${broken.length - 3} more` : broken.join(', ');
    io.stderr.write(`mge ${CMD}: warning: '${loaded.path}' holds NaN or infinite weights (${names}); the run that wrote it diverged\n`);
    return EXIT.failure;
  }
  return EXIT.ok;
}
