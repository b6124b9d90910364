import * as esbuild from 'esbuild';

/** A bench page's script: `entry` and what it imports bundled for the browser, from sources. */
export async function bundlePage(entry: string): Promise<string> {
  const built = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    write: false,
    logLevel: 'warning',
  });
  return built.outputFiles[0].text;
}
