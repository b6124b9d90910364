import type { Module } from '@mge/module';
import { type LoadedCheckpoint, loadWeights, readCheckpoint } from './checkpoint.js';
import { CliError } from './errors.js';
import { createDigitClassifier, zooEntry } from './models.js';

export interface RestoredModel {
  model: Module;
  name: string;
  /** The model's input side (28 or 32). */
  inputSide: number;
  loaded: LoadedCheckpoint;
}

/** Rebuilds the model a checkpoint names and loads its weights, in inference mode. */
export async function restoreModel(command: string, path: string, expectModel?: string): Promise<RestoredModel> {
  if (expectModel !== undefined) zooEntry(command, expectModel);
  const loaded = await readCheckpoint(command, path);
  const name = loaded.info.model;
  if (expectModel !== undefined && expectModel !== name) {
    throw new CliError(`mge ${command}: '${path}' holds a '${name}' model, not '${expectModel}'`);
  }
  const { model, entry } = createDigitClassifier(command, name);
  loadWeights(command, loaded, model, name);
  model.eval();
  return { model, name, inputSide: entry.inputShape[1], loaded };
}
