import { TRAIN_DEFAULTS } from './commands/train.js';

const TOP = `mge — train and run MegEngine.ts models from the command line

Usage: mge <command> [options]

Commands:
  train                        train a model on MNIST (default: LeNet on the bundled digits)
  eval <checkpoint>            accuracy and loss of a checkpoint on the held-out split
  predict <checkpoint> <image.png | --index N>
                               top-5 classes of one digit, with probabilities
  summary <model>              layers, output shapes and parameter counts
  export <checkpoint> --onnx <file>
                               the model's inference as ONNX (opset 17, weights inside)
  devices                      every backend: state, why it failed, which is the default

Run 'mge <command> --help' for a command's options.`;

const COMMANDS: Record<string, string> = {
  train: `Usage: mge train [options]

Trains a model on MNIST, evaluates it on the held-out split after every epoch and writes
a checkpoint (model weights + optimizer state) at every epoch end. Ctrl-C stops after the
current step and keeps the last complete checkpoint.

Options:
  --model <name>          model from the zoo (default ${TRAIN_DEFAULTS.model})
  --epochs <n>            epochs in all, counting those of --resume (default ${TRAIN_DEFAULTS.epochs})
  --batch-size <n>        images per step (default ${TRAIN_DEFAULTS.batchSize})
  --lr <x>                learning rate (default 0.02 for sgd, 0.001 for adam)
  --optimizer sgd|adam    (default ${TRAIN_DEFAULTS.optimizer})
  --momentum <x>          SGD momentum (default ${TRAIN_DEFAULTS.momentum})
  --weight-decay <x>      L2 penalty (default ${TRAIN_DEFAULTS.weightDecay})
  --schedule <s>          cosine (lr decays to 0 over the run, step by step) or constant
                          (default ${TRAIN_DEFAULTS.schedule})
  --augment <px>          shift training images by up to px pixels at random, 0 = off
                          (default ${TRAIN_DEFAULTS.augment})
  --device <d>            auto|js|cpu|webgpu (default auto: the best that initialised)
  --data <dir>            folder with MNIST IDX files (default: bundled 8,000/2,000 digits)
  --limit <n>             train on the first n training images only (quick runs)
  --seed <n>              seed of initial weights and shuffling (default ${TRAIN_DEFAULTS.seed})
  --out <file>            checkpoint path (default <model>.safetensors, or the --resume file)
  --resume <file>         continue from a checkpoint (its settings are the defaults)
  --json                  one JSON object per line instead of a progress bar
  --nproc <n>             data-parallel on n processes of this machine, started with Open MPI's
                          mpirun (adds --oversubscribe, and --allow-run-as-root as root);
                          --batch-size is then the global batch, split over the processes;
                          rank 0 alone prints progress and writes checkpoints
  --verbose               with --nproc, the other ranks print too, prefixed [rank r]`,
  eval: `Usage: mge eval <checkpoint> [options]

Options:
  --data <dir>        folder with MNIST IDX files (default: the bundled digits)
  --limit <n>         evaluate the first n held-out images only
  --batch-size <n>    images per forward pass (default 500)
  --model <name>      fail unless the checkpoint holds this model
  --device <d>        auto|js|cpu|webgpu (default auto)
  --json              machine-readable output`,
  predict: `Usage: mge predict <checkpoint> <image.png>
       mge predict <checkpoint> --index <n>

A PNG must be 28×28 or 32×32; colour is turned to grey, and a mostly light picture (dark
ink on paper) is inverted to MNIST's light ink on black.

Options:
  --index <n>         use image n of the held-out split instead of a file
  --data <dir>        folder with MNIST IDX files, for --index (default: the bundled digits)
  --top <k>           how many classes to list (default 5)
  --model <name>      fail unless the checkpoint holds this model
  --device <d>        auto|js|cpu|webgpu (default auto)
  --json              machine-readable output`,
  summary: `Usage: mge summary <model> [--json]

Prints each layer's type, output shape and parameter count for one input image.`,
  export: `Usage: mge export <checkpoint> --onnx <file> [options]

Traces the checkpoint's model for inference on one batch of digit images and writes it
as an ONNX model (opset 17, weights inside) that onnxruntime and other ONNX tools run.
Input 'input' is (batch, 1, side, side) float32 as in training; output 'logits'.

Options:
  --onnx <file>       where to write the model (required)
  --model <name>      fail unless the checkpoint holds this model
  --batch-size <n>    the batch size the model takes (default 1)
  --device <d>        auto|js|cpu|webgpu, where the trace runs (default auto)
  --json              machine-readable output`,
  devices: `Usage: mge devices [--json]

Lists every backend with its priority and state; a failed one says why. '*' marks the
device 'auto' picks (MGE_DEVICE overrides it).`,
};

export function topHelp(): string {
  return TOP;
}

export function commandHelp(command: string): string | undefined {
  return Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
}
