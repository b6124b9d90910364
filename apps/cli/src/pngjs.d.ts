// The few pngjs 7 entry points the CLI uses (the package ships no types).
declare module 'pngjs' {
  interface PngImage {
    width: number;
    height: number;
    /** RGBA, 8 bits per channel, row-major. */
    data: Buffer;
  }
  export const PNG: {
    new (options: { width: number; height: number }): PngImage;
    sync: {
      read(buffer: Buffer): PngImage;
      write(png: PngImage, options?: { colorType?: number; inputColorType?: number; inputHasAlpha?: boolean }): Buffer;
    };
  };
}
