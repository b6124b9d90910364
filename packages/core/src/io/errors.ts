/** A checkpoint that cannot be read or written. The message names the file (or buffer) and what is wrong. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}
