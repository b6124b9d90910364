import { noGrad, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { choiceFlag, intFlag, modelFlag, parseCommand, stringFlag } from '../args.js';
import { digitTransform, loadDigits } from '../dataset.js';
import { DEVICE_CHOICES, loadBackends, selectDevice } from '../devices.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { pct } from '../format.js';
import { readDigitPng } from '../image.js';
import type { Io } from '../io.js';
import { openCheckpoint, restoreModel } from '../restore.js';

const CMD = 'predict';

export const PREDICT_OPTIONS = {
  index: { type: 'string' },
  data: { type: 'string' },
  device: { type: 'string' },
  model: { type: 'string' },
  top: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `mge predict <checkpoint> <image.png | --index N>`: the top classes with their probabilities. */
export async function predictCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(CMD, argv, PREDICT_OPTIONS, [
    1,
    2,
    'the checkpoint file (mge predict <checkpoint> <image.png | --index N>)',
  ]);
  const index = intFlag(CMD, 'index', values.index, 0);
  const top = intFlag(CMD, 'top', values.top, 1, 10) ?? 5;
  const deviceChoice = choiceFlag(CMD, 'device', values.device, DEVICE_CHOICES) ?? 'auto';
  const dataDir = stringFlag(CMD, 'data', values.data);
  const imagePath = positionals[1];
  if ((imagePath === undefined) === (index === undefined)) {
    throw new UsageError(
      `mge ${CMD}: give either an image file or --index N (an image of the held-out split), not ${imagePath === undefined ? 'neither' : 'both'}`,
      CMD,
    );
  }

  const opened = await openCheckpoint(CMD, positionals[0], modelFlag(CMD, values.model));
  const { loaded } = opened;
  const inputSide = opened.entry.inputShape[1];

  let pixels: Uint8Array;
  let side = 28;
  let label: number | undefined;
  let inverted = false;
  let source: string;
  if (index !== undefined) {
    const testSet = loadDigits(CMD, false, { dataDir });
    if (index >= testSet.length)
      throw new CliError(`mge ${CMD}: --index must be below ${testSet.length} (the held-out split's size), got ${index}`);
    [pixels, label] = testSet.get(index) as [Uint8Array, number];
    source = `held-out image #${index}`;
  } else {
    const img = readDigitPng(CMD, imagePath!);
    ({ data: pixels, side, inverted } = img);
    source = imagePath!;
  }
  if (side > inputSide) throw new CliError(`mge ${CMD}: the model takes ${inputSide}×${inputSide} images, got ${side}×${side}`);
  await loadBackends(deviceChoice);
  const device = selectDevice(CMD, deviceChoice);
  const model = restoreModel(CMD, opened);
  const image = digitTransform(inputSide, side)({ data: pixels, channels: 1, height: side, width: side });
  const probs = await noGrad(() => F.softmax(model(tensor(image.data, { shape: [1, 1, inputSide, inputSide] })) as Tensor, 1)).data();
  const ranked = [...probs]
    .map((p, k) => ({ class: k, probability: p }))
    .sort((a, b) => b.probability - a.probability || a.class - b.class);
  const best = ranked.slice(0, top);

  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ checkpoint: loaded.path, source, device, label: label ?? null, inverted, prediction: best[0].class, top: best, probabilities: [...probs] })}\n`,
    );
    return EXIT.ok;
  }
  const lines = [
    `${source}${label !== undefined ? ` (label ${label})` : ''}${inverted ? ' (inverted: dark ink on a light background)' : ''}`,
    `prediction: ${best[0].class}`,
  ];
  for (const r of best)
    lines.push(`  ${r.class}  ${pct(r.probability).padStart(7)}  ${'█'.repeat(Math.round(r.probability * 30))}`.trimEnd());
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
