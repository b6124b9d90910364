import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { CliError } from './errors.js';

/** Every PNG file starts with these 8 bytes. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface GreyImage {
  /** 0 = background, 255 = ink, row-major, side × side. */
  data: Uint8Array;
  side: number;
  /** True when the picture was dark ink on a light background and was inverted to MNIST's light-on-dark. */
  inverted: boolean;
}

/**
 * Reads a PNG digit as MNIST sees digits: grey, light ink on a dark background, 28×28 or
 * 32×32. Transparent pixels are laid on white first (as a viewer shows them); a picture
 * that is mostly light is then inverted, since MNIST's background is black.
 */
export function readDigitPng(command: string, path: string): GreyImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CliError(`mge ${command}: cannot read image '${path}'${code === 'ENOENT' ? ': no such file' : `: ${(e as Error).message}`}`);
  }
  if (bytes.length === 0) throw new CliError(`mge ${command}: '${path}' is empty (0 bytes); expected a PNG image of a digit`);
  if (bytes.length < PNG_SIGNATURE.length || !bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
    const looksText = bytes.subarray(0, 512).every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128);
    throw new CliError(
      `mge ${command}: '${path}' is not a PNG image${looksText ? ' (it looks like a text file)' : ''}; expected a PNG image of a digit`,
    );
  }
  let png: { width: number; height: number; data: Buffer };
  try {
    png = PNG.sync.read(bytes);
  } catch {
    // pngjs's own messages name its internals (zlib, chunk CRCs); what the user can act on is this
    throw new CliError(`mge ${command}: '${path}' is a truncated or damaged PNG image (${bytes.length} bytes); save it again and retry`);
  }
  const { width, height, data } = png;
  if (width !== height || (width !== 28 && width !== 32)) {
    throw new CliError(`mge ${command}: '${path}' is ${width}×${height}; expected a 28×28 or 32×32 digit`);
  }
  const n = width * height;
  const grey = new Uint8Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const [r, g, b, a] = [data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3]];
    const lum = 0.299 * r + 0.587 * g + 0.114 * b;
    const v = Math.round((lum * a + 255 * (255 - a)) / 255);
    grey[i] = v;
    sum += v;
  }
  const inverted = sum / n > 127.5;
  if (inverted) for (let i = 0; i < n; i++) grey[i] = 255 - grey[i];
  return { data: grey, side: width, inverted };
}

/** Writes a grey image as an 8-bit greyscale PNG (used by tests and for exporting held-out digits). */
export function encodeGreyPng(data: Uint8Array, side: number): Buffer {
  const png = new PNG({ width: side, height: side });
  for (let i = 0; i < side * side; i++) {
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = data[i];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 0 });
}
