import type { ZooEntry } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { type LoadedCheckpoint, loadWeights, readCheckpoint } from './checkpoint.js';
import { CliError } from './errors.js';
import { checkDigitModel, createDigitClassifier, zooEntry } from './models.js';

export interface OpenedCheckpoint {
  loaded: LoadedCheckpoint;
  name: string;
  entry: ZooEntry;
}

/**
 * Reads a checkpoint and checks the model it names, before any backend is chosen (so bad
 * input fails fast; the tensors move to the chosen device when loaded into the model).
 */
export async function openCheckpoint(command: string, path: string, expectModel?: string): Promise<OpenedCheckpoint> {
  if (expectModel !== undefined) zooEntry(command, expectModel);
  const loaded = await readCheckpoint(command, path);
  const name = loaded.info.model;
  if (expectModel !== undefined && expectModel !== name) {
    throw new CliError(`mge ${command}: '${path}' holds a '${name}' model, not '${expectModel}'`);
  }
  return { loaded, name, entry: checkDigitModel(command, name) };
}

/** Builds the checkpoint's model on the default device, loads its weights, inference mode. */
export function restoreModel(command: string, opened: OpenedCheckpoint): Module {
  const { model } = createDigitClassifier(command, opened.name);
  loadWeights(command, opened.loaded, model, opened.name);
  model.eval();
  return model;
}
