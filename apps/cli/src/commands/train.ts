import { GradManager, getBackend, random, type Tensor } from '@mge/core';
import { compose, DataLoader } from '@mge/data';
import { broadcastParameters, launchedByMpi, makeAllreduceCb } from '@mge/distributed';
import * as F from '@mge/functional';
import { CosineAnnealingLR } from '@mge/optimizer';
import { choiceFlag, intFlag, modelFlag, numberFlag, parseCommand, stringFlag } from '../args.js';
import { randomShift } from '../augment.js';
import {
  checkWritable,
  type LoadedCheckpoint,
  loadWeights,
  readCheckpoint,
  removePartialCheckpoints,
  type TrainConfig,
  writeCheckpoint,
} from '../checkpoint.js';
import { digitTransform, loadDigits } from '../dataset.js';
import { DEVICE_CHOICES, loadBackends, selectDevice, skippedDevices } from '../devices.js';
import { joinRanks, launchRanks, type Ranks, shardOf } from '../distributed.js';
import { CliError, EXIT } from '../errors.js';
import { correctCount, evaluate } from '../evaluate.js';
import type { Io } from '../io.js';
import { checkDigitModel, createDigitClassifier } from '../models.js';
import { createOptimizer, DEFAULT_LR, OPTIMIZERS, restoreOptimizer } from '../optim.js';
import { createReporter, type DoneInfo } from '../progress.js';
import { type StopSignal, watchSigint } from '../stop.js';

const CMD = 'train';

/** Defaults of `mge train` with no flags: LeNet on the bundled digits. */
export const TRAIN_DEFAULTS = {
  model: 'lenet',
  epochs: 5,
  batchSize: 32,
  optimizer: 'sgd',
  momentum: 0.9,
  weightDecay: 0,
  seed: 1,
  schedule: 'cosine',
  augment: 2,
} as const;

const SCHEDULES = ['cosine', 'constant'] as const;

/** A loss this many times its first value (or 1, if higher) means the run diverged. */
const DIVERGED = 100;

export const TRAIN_OPTIONS = {
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  device: { type: 'string' },
  data: { type: 'string' },
  seed: { type: 'string' },
  schedule: { type: 'string' },
  augment: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  nproc: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

/** Flags as given on the command line (undefined = not given). */
interface Flags {
  model?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: 'sgd' | 'adam';
  momentum?: number;
  weightDecay?: number;
  device: (typeof DEVICE_CHOICES)[number];
  data?: string;
  seed?: number;
  schedule?: 'cosine' | 'constant';
  augment?: number;
  out?: string;
  resume?: string;
  limit?: number;
  json: boolean;
  nproc: number;
  verbose: boolean;
}

function readFlags(values: Record<string, string | boolean | undefined>): Flags {
  return {
    model: modelFlag(CMD, values.model),
    epochs: intFlag(CMD, 'epochs', values.epochs, 1, 10_000),
    batchSize: intFlag(CMD, 'batch-size', values['batch-size'], 1, 65_536),
    lr: numberFlag(CMD, 'lr', values.lr, 0, true),
    optimizer: choiceFlag(CMD, 'optimizer', values.optimizer, OPTIMIZERS),
    momentum: numberFlag(CMD, 'momentum', values.momentum, 0, false, 0.999999),
    weightDecay: numberFlag(CMD, 'weight-decay', values['weight-decay'], 0, false),
    device: choiceFlag(CMD, 'device', values.device, DEVICE_CHOICES) ?? 'auto',
    data: stringFlag(CMD, 'data', values.data),
    seed: intFlag(CMD, 'seed', values.seed, 0, 0xffffffff),
    schedule: choiceFlag(CMD, 'schedule', values.schedule, SCHEDULES),
    augment: intFlag(CMD, 'augment', values.augment, 0, 4),
    out: stringFlag(CMD, 'out', values.out),
    resume: stringFlag(CMD, 'resume', values.resume),
    limit: intFlag(CMD, 'limit', values.limit, 1),
    json: values.json === true,
    nproc: intFlag(CMD, 'nproc', values.nproc, 1, 1024) ?? 1,
    verbose: values.verbose === true,
  };
}

/** The run's settings: defaults, then what the resumed checkpoint used, then the flags. */
function resolveConfig(f: Flags, resumed: LoadedCheckpoint | undefined): TrainConfig {
  const prev = resumed?.info.config;
  const optimizer = f.optimizer ?? prev?.optimizer ?? TRAIN_DEFAULTS.optimizer;
  if (prev && f.optimizer && f.optimizer !== prev.optimizer) {
    throw new CliError(
      `mge ${CMD}: '${resumed!.path}' was trained with ${prev.optimizer}; cannot resume it with --optimizer ${f.optimizer}`,
    );
  }
  if (optimizer === 'adam' && f.momentum !== undefined) throw new CliError(`mge ${CMD}: --momentum applies to --optimizer sgd only`);
  return {
    model: f.model ?? resumed?.info.model ?? TRAIN_DEFAULTS.model,
    optimizer,
    lr: f.lr ?? prev?.lr ?? DEFAULT_LR[optimizer],
    momentum: optimizer === 'adam' ? 0 : (f.momentum ?? prev?.momentum ?? TRAIN_DEFAULTS.momentum),
    weightDecay: f.weightDecay ?? prev?.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
    batchSize: f.batchSize ?? prev?.batchSize ?? TRAIN_DEFAULTS.batchSize,
    epochs: f.epochs ?? prev?.epochs ?? TRAIN_DEFAULTS.epochs,
    seed: f.seed ?? prev?.seed ?? TRAIN_DEFAULTS.seed,
    schedule: f.schedule ?? prev?.schedule ?? TRAIN_DEFAULTS.schedule,
    augment: f.augment ?? prev?.augment ?? TRAIN_DEFAULTS.augment,
    data: f.data ?? prev?.data ?? null,
    limit: f.limit ?? prev?.limit ?? null,
  };
}

/** A different shuffling order each epoch, reproducible from the run's seed (also after --resume). */
function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed, 0x9e3779b1) + epoch) >>> 0;
}

export interface TrainOptions {
  /** Replaces the Ctrl-C watcher (tests stop training from code). */
  stop?: StopSignal;
}

export async function trainCommand(argv: readonly string[], io: Io, options: TrainOptions = {}): Promise<number> {
  const { values } = parseCommand(CMD, argv, TRAIN_OPTIONS, [0, 0, '']);
  const flags = readFlags(values);
  if (flags.nproc > 1 && (flags.batchSize ?? TRAIN_DEFAULTS.batchSize) % flags.nproc !== 0) {
    throw new CliError(
      `mge ${CMD}: --batch-size is the global batch and must be divisible by --nproc ${flags.nproc}, got ${flags.batchSize ?? TRAIN_DEFAULTS.batchSize}`,
    );
  }
  // --nproc N: this process starts N ranks under mpirun, each of which runs this command again
  if (flags.nproc > 1 && !launchedByMpi()) return launchRanks(CMD, flags.nproc, argv, io);
  const ranks: Ranks | null = flags.nproc > 1 ? joinRanks(CMD, flags.nproc, flags.verbose, io) : null;
  const lead = !ranks || ranks.rank === 0;

  // Everything that can be wrong with the input is checked before the backends start.
  const resumed = flags.resume === undefined ? undefined : await readCheckpoint(CMD, flags.resume);
  const cfg = resolveConfig(flags, resumed);
  if (cfg.batchSize % flags.nproc !== 0) {
    throw new CliError(
      `mge ${CMD}: the batch size ${cfg.batchSize} of '${flags.resume}' is not divisible by --nproc ${flags.nproc}; pass --batch-size`,
    );
  }
  const out = flags.out ?? flags.resume ?? `${cfg.model}.safetensors`;
  const entry = checkDigitModel(CMD, cfg.model);
  if (lead) checkWritable(CMD, out);
  const trainSet = loadDigits(CMD, true, { dataDir: cfg.data ?? undefined, limit: cfg.limit ?? undefined });
  const testSet = loadDigits(CMD, false, { dataDir: cfg.data ?? undefined });
  const transform = digitTransform(entry.inputShape[1]);

  await loadBackends(flags.device);
  const device = selectDevice(CMD, flags.device);
  random.seed(cfg.seed);
  const { model } = createDigitClassifier(CMD, cfg.model);
  if (resumed) loadWeights(CMD, resumed, model, cfg.model);
  // every rank starts from rank 0's weights (this also refuses a model that differs between ranks)
  if (ranks) broadcastParameters(model);
  const firstEpoch = (resumed?.info.epoch ?? 0) + 1;

  const opt = createOptimizer(cfg.optimizer, model.parameters(), cfg);
  if (resumed) restoreOptimizer(CMD, opt, resumed.checkpoint.nested.optimizer, resumed.path, cfg);

  // only rank 0 prints progress (the others with --verbose, prefixed by their rank)
  const reporter = createReporter(ranks ? ranks.stdout : io.stdout, flags.json);
  const params = [...model.parameters()].reduce((s, p) => s + p.size, 0);
  if (firstEpoch > cfg.epochs) {
    io.stderr.write(
      `mge ${CMD}: '${resumed!.path}' already has ${resumed!.info.epoch} epochs; pass --epochs N with N > ${resumed!.info.epoch} to train further\n`,
    );
    return EXIT.ok;
  }
  reporter.start({
    model: cfg.model,
    params,
    device,
    skipped: flags.device === 'auto' ? skippedDevices(device) : [],
    optimizer: cfg.optimizer,
    lr: cfg.lr,
    schedule: cfg.schedule,
    momentum: cfg.momentum,
    augment: cfg.augment,
    batchSize: cfg.batchSize,
    trainSize: trainSet.length,
    testSize: testSet.length,
    dataSource: cfg.data ?? 'bundled MNIST',
    firstEpoch,
    epochs: cfg.epochs,
    out,
    resumedFrom: resumed?.path,
  });

  // The loop of MegEngine's network-building guide examples: record, forward, loss, backward, step. Loss and accuracy are read
  // every step on host devices, every 10 steps on webgpu, where a read waits for the GPU to finish (even where it can be
  // synchronous, in Node).
  // with --nproc the gradients are averaged over the ranks in buckets, during backward
  const gm = new GradManager().attach(model.parameters(), ranks ? { callbacks: makeAllreduceCb('mean') } : {});
  const world = ranks?.size ?? 1;
  const rankBatch = cfg.batchSize / world;
  const readEvery = device === 'webgpu' || !getBackend(device).readSync ? 10 : 1;
  // a second Ctrl-C quits at once, even in the middle of a save: remove the save's temporary file first
  const stop = options.stop ?? watchSigint(io, () => removePartialCheckpoints(out));
  // Cosine decay of the lr over every step of the run (the scheduler's "epoch" is the step).
  const stepsPerEpoch = Math.ceil(Math.ceil(trainSet.length / world) / rankBatch);
  const schedule = cfg.schedule === 'cosine' ? new CosineAnnealingLR(opt, cfg.epochs * stepsPerEpoch) : null;
  const started = performance.now();
  let trainSeconds = 0;
  let imagesSeen = 0;
  let lastSaved: { epoch: number; accuracy: number } | null = null;
  let best: number | null = null;
  let stoppedAt: DoneInfo['stoppedAt'];
  let firstLoss: number | undefined;

  try {
    model.train();
    for (let epoch = firstEpoch; epoch <= cfg.epochs && !stop.requested; epoch++) {
      const seed = epochSeed(cfg.seed, epoch);
      const trainTransform = cfg.augment > 0 ? compose([randomShift(cfg.augment, seed ^ 0x5bd1e995), transform]) : transform;
      // with --nproc each rank reads its DistributedSampler shard of the same shuffled order
      const loader = ranks
        ? new DataLoader(shardOf(trainSet, seed), { batchSize: rankBatch, transform: trainTransform })
        : new DataLoader(trainSet, { batchSize: cfg.batchSize, shuffle: true, seed, transform: trainTransform });
      const steps = loader.length;
      const t0 = performance.now();
      let step = 0;
      let seen = 0;
      let lossSum = 0;
      let correct = 0;
      let pending: { loss: Tensor; right: Tensor; n: number }[] = [];
      for await (const [images, labels] of loader) {
        schedule?.step((epoch - 1) * stepsPerEpoch + step);
        gm.record();
        const logits = model(images) as Tensor;
        const loss = F.crossEntropy(logits, labels);
        gm.backward(loss);
        opt.step().clearGrad();
        pending.push({ loss, right: correctCount(logits, labels), n: labels.shape[0] });
        step++;
        if (pending.length >= readEvery || step === steps || stop.requested) {
          const batch = pending;
          pending = [];
          const values = await Promise.all(batch.flatMap((p) => [p.loss.itemAsync(), p.right.itemAsync()]));
          batch.forEach((p, i) => {
            const l = values[2 * i];
            firstLoss ??= l;
            // NaN/Inf, or a loss orders of magnitude above where the run started
            if (!Number.isFinite(l) || l > DIVERGED * Math.max(firstLoss, 1)) {
              throw new CliError(
                `mge ${CMD}: training diverged (loss ${l}${Number.isFinite(l) ? `, first ${firstLoss.toFixed(4)}` : ''}) at epoch ${epoch}, step ${step}; try a smaller --lr (now ${cfg.lr})`,
              );
            }
            lossSum += l * p.n;
            correct += values[2 * i + 1];
            seen += p.n;
          });
          const elapsed = (performance.now() - t0) / 1000;
          reporter.step({
            epoch,
            epochs: cfg.epochs,
            step,
            steps,
            loss: lossSum / seen,
            accuracy: correct / seen,
            imagesPerSec: (seen * world) / Math.max(elapsed, 1e-9),
            etaSeconds: (elapsed / step) * (steps - step),
          });
        }
        if (stop.requested && step < steps) {
          stoppedAt = { epoch, step, steps };
          break;
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      imagesSeen += seen;
      if (stoppedAt) break;
      // rank 0 evaluates and writes the checkpoint; the others go on and wait for it in the next all-reduce
      if (!lead) continue;

      const test = await evaluate(model, testSet, transform);
      await writeCheckpoint(out, model, opt, { model: cfg.model, epoch, accuracy: test.accuracy, config: cfg });
      lastSaved = { epoch, accuracy: test.accuracy };
      best = best === null ? test.accuracy : Math.max(best, test.accuracy);
      reporter.epoch({
        epoch,
        epochs: cfg.epochs,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        seconds,
        imagesPerSec: (seen * world) / seconds,
        checkpoint: out,
      });
    }
  } finally {
    gm.release();
    stop.dispose();
  }

  const interrupted = stop.requested;
  reporter.done({
    epochsRun: lastSaved ? lastSaved.epoch - firstEpoch + 1 : 0,
    lastEpoch: lastSaved?.epoch ?? resumed?.info.epoch ?? 0,
    testAccuracy: lastSaved?.accuracy ?? null,
    bestAccuracy: best,
    seconds: (performance.now() - started) / 1000,
    imagesPerSec: (imagesSeen * world) / Math.max(trainSeconds, 1e-9),
    checkpoint: lastSaved ? out : (resumed?.path ?? null),
    device,
    interrupted,
    stoppedAt,
  });
  return interrupted ? EXIT.interrupted : EXIT.ok;
}
