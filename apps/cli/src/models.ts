import { noGrad, shapeToString, zeros } from '@mge/core';
import { type ZooEntry, zoo } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { CliError } from './errors.js';

export function modelNames(): string[] {
  return Object.keys(zoo);
}

export function zooEntry(command: string, name: string): ZooEntry {
  const entry = Object.hasOwn(zoo, name) ? zoo[name] : undefined;
  if (!entry) throw new CliError(`mge ${command}: unknown model '${name}'; known models: ${modelNames().join(', ')}`);
  return entry;
}

/**
 * Builds a zoo model that can classify MNIST digits: one grey channel of 28×28 or 32×32
 * pixels in, 10 class scores out. Checked with one forward pass on a blank image.
 */
export function createDigitClassifier(command: string, name: string): { model: Module; entry: ZooEntry } {
  const entry = checkDigitModel(command, name);
  const model = (zoo[name].digits ?? entry.create)();
  const out = noGrad(() => model(zeros([1, ...entry.inputShape])));
  if (out.ndim !== 2 || out.shape[1] !== 10) {
    throw new CliError(
      `mge ${command}: model '${name}' outputs ${shapeToString(out.shape)} for one image; a digit classifier must output (1, 10)`,
    );
  }
  return { model, entry };
}

/** The zoo entry of a model that takes one grey 28×28 or 32×32 channel (checked without building it). */
export function checkDigitModel(command: string, name: string): ZooEntry {
  const own = zooEntry(command, name);
  // a model with a digit-sized variant (ResNets) trains that one on 32×32 padded digits
  const entry = own.digits ? { ...own, create: own.digits, inputShape: [1, 32, 32] } : own;
  const [c, h, w] = entry.inputShape;
  if (entry.inputShape.length !== 3 || c !== 1 || h !== w || (h !== 28 && h !== 32)) {
    throw new CliError(
      `mge ${command}: model '${name}' takes ${shapeToString(entry.inputShape)} inputs; MNIST digits need 1×28×28 or 1×32×32 (try: ${digitModels().join(', ')})`,
    );
  }
  return entry;
}

/** Zoo models whose declared input is a single grey channel (candidates for MNIST). */
export function digitModels(): string[] {
  return Object.entries(zoo)
    .filter(([, e]) => e.inputShape[0] === 1 || e.digits)
    .map(([k]) => k);
}
