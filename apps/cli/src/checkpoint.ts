import { accessSync, constants, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type Checkpoint, CheckpointError, load, type Nested, save } from '@mge/core';
import type { Module } from '@mge/module';
import type { Optimizer } from '@mge/optimizer';
import { CliError } from './errors.js';

/** The training settings stored with a checkpoint, so `--resume` continues with them. */
export interface TrainConfig {
  model: string;
  optimizer: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  seed: number;
  schedule: 'cosine' | 'constant';
  /** Largest random shift in pixels applied to training images (0 = none). */
  augment: number;
  data: string | null;
  limit: number | null;
}

export interface CheckpointInfo {
  model: string;
  /** Epochs completed when the file was written. */
  epoch: number;
  /** Held-out accuracy after that epoch, if it was measured. */
  accuracy?: number;
  config?: TrainConfig;
}

/**
 * Writes model weights (top-level tensors, MegEngine's state-dict keys), the optimizer's
 * state (under 'optimizer') and what produced them (metadata). `save` writes a temporary
 * file and renames it, so an interrupted write leaves the previous checkpoint intact.
 */
export async function writeCheckpoint(path: string, model: Module, optimizer: Optimizer, info: CheckpointInfo): Promise<void> {
  const obj = new Map<string, Nested>(model.stateDict());
  obj.set('optimizer', optimizer.stateDict() as unknown as Nested);
  const metadata: Record<string, string> = { model: info.model, epoch: String(info.epoch) };
  if (info.accuracy !== undefined) metadata.accuracy = info.accuracy.toFixed(6);
  if (info.config) metadata.config = JSON.stringify(info.config);
  try {
    await save(obj, path, { metadata });
  } catch (e) {
    throw new CliError(`mge train: ${(e as Error).message}`);
  }
}

/**
 * Fails now, before any training, when the checkpoint could not be written at the end of the
 * first epoch: a missing folder, a folder we may not write to, or a path that is a folder.
 */
export function checkWritable(command: string, path: string): void {
  const dir = dirname(resolve(path));
  const stat = (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined;
    }
  };
  const target = stat(path);
  if (target?.isDirectory())
    throw new CliError(`mge ${command}: --out '${path}' is a folder; name a file such as '${join(path, 'model.safetensors')}'`);
  const folder = stat(dir);
  if (!folder) throw new CliError(`mge ${command}: cannot write '${path}': the folder '${dir}' does not exist`);
  if (!folder.isDirectory()) throw new CliError(`mge ${command}: cannot write '${path}': '${dir}' is not a folder`);
  try {
    // the checkpoint is written next to itself under a temporary name, then renamed: the folder must take new files
    accessSync(dir, constants.W_OK);
    if (target) accessSync(path, constants.W_OK);
  } catch {
    throw new CliError(`mge ${command}: cannot write '${path}': no permission to write in '${dir}'`);
  }
}

/**
 * Removes the temporary files this process's saves of `path` left (core's save writes
 * `.<name>.<pid>.<random>.tmp` next to the target and renames it); for a quit in mid-save.
 */
export function removePartialCheckpoints(path: string): void {
  const dir = dirname(resolve(path));
  const prefix = `.${basename(path)}.${process.pid}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix) && n.endsWith('.tmp')) rmSync(join(dir, n), { force: true });
}

/** Names of the weights that hold NaN or ±Infinity (what a diverged run saves). */
export async function nonFiniteWeights(checkpoint: Checkpoint): Promise<string[]> {
  const bad: string[] = [];
  for (const [name, t] of checkpoint) {
    if (t.dtype !== 'float32') continue;
    const values = await t.data();
    if (values.some((v) => !Number.isFinite(v))) bad.push(name);
  }
  return bad;
}

export interface LoadedCheckpoint {
  path: string;
  checkpoint: Checkpoint;
  info: CheckpointInfo;
}

/** Reads and checks a checkpoint written by `mge train`; any problem is a one-line CliError. */
export async function readCheckpoint(command: string, path: string): Promise<LoadedCheckpoint> {
  let checkpoint: Checkpoint;
  try {
    checkpoint = await load(path);
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code === 'ENOENT') throw new CliError(`mge ${command}: checkpoint '${path}' does not exist`);
    if (code === 'EISDIR') throw new CliError(`mge ${command}: checkpoint '${path}' is a directory, not a file`);
    const why = e instanceof CheckpointError ? 'is not a valid checkpoint' : 'cannot be read';
    throw new CliError(`mge ${command}: '${path}' ${why}: ${(e as Error).message}`);
  }
  const meta = checkpoint.metadata;
  if (typeof meta.model !== 'string' || meta.model.length === 0) {
    throw new CliError(
      `mge ${command}: '${path}' does not say which model it holds (no 'model' in its metadata); was it written by 'mge train'?`,
    );
  }
  const epoch = meta.epoch === undefined ? 0 : Number(meta.epoch);
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new CliError(`mge ${command}: '${path}' has a bad 'epoch' in its metadata: '${meta.epoch}'`);
  const info: CheckpointInfo = { model: meta.model, epoch };
  if (meta.accuracy !== undefined && Number.isFinite(Number(meta.accuracy))) info.accuracy = Number(meta.accuracy);
  if (meta.config !== undefined) {
    try {
      info.config = JSON.parse(meta.config) as TrainConfig;
    } catch {
      throw new CliError(`mge ${command}: '${path}' has a 'config' in its metadata that is not valid JSON`);
    }
  }
  return { path, checkpoint, info };
}

/** Loads the weights into `model` (strict: every key, every shape), or explains why they do not fit. */
export function loadWeights(command: string, loaded: LoadedCheckpoint, model: Module, modelName: string): void {
  if (loaded.info.model !== modelName) {
    throw new CliError(`mge ${command}: '${loaded.path}' holds a '${loaded.info.model}' model, not '${modelName}'`);
  }
  try {
    model.loadStateDict(loaded.checkpoint);
  } catch (e) {
    throw new CliError(`mge ${command}: '${loaded.path}' does not fit model '${modelName}': ${(e as Error).message}`);
  }
}
