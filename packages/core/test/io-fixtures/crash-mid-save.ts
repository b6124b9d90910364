// Run by io-save-load.test.ts in a child process: starts saving over an existing file and
// kills itself (SIGKILL, no cleanup) after half of the new file's bytes are written.
import * as fs from 'node:fs/promises';
import { save, tensor } from '../../src/index.js';

const [path] = process.argv.slice(2);
const probe = await fs.open(path, 'r');
const proto = Object.getPrototypeOf(probe) as {
  write: (this: unknown, buf: Uint8Array, offset: number, length: number) => Promise<{ bytesWritten: number }>;
};
await probe.close();
const write = proto.write;
proto.write = async function (this: unknown, buf: Uint8Array, offset: number, length: number) {
  const half = Math.floor(length / 2);
  await write.call(this, buf, offset, half);
  process.kill(process.pid, 'SIGKILL');
  return { bytesWritten: half };
};
await save({ w: tensor(new Float32Array(100_000).fill(9)) }, path);
