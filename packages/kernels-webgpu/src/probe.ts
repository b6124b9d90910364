/**
 * Whether a WebGPU adapter exists and what it is, without creating a device. In Node the question
 * is asked in a child process: Dawn and the Vulkan loader write their warnings straight to the
 * process's stderr (a missing driver gives four lines that look like a crash), so the user sees one
 * line from us instead, and a run that will not use WebGPU never loads Dawn at all.
 */
import { type AdapterFacts, adapterFacts, describeAdapter, isSoftwareAdapter } from './adapter-info.js';
import { getGpu, isNode } from './gpu-provider.js';

export interface ProbeResult {
  autoSelectable: boolean;
  description: string;
}

export const NO_ADAPTER =
  'webgpu: no WebGPU adapter found (install a Vulkan driver such as Mesa lavapipe — packages/kernels-webgpu/scripts/install-vulkan.sh)';

const CHILD = `
const { create } = await import(process.argv[1]);
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = a?.info ?? {};
process.stdout.write(JSON.stringify(a ? { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '', isFallback: i.isFallbackAdapter === true || a.isFallbackAdapter === true } : null));
process.exit(0);
`;

let nodeProbe: Promise<AdapterFacts> | undefined;

async function probeInChild(): Promise<AdapterFacts> {
  // Non-literal specifiers keep browser bundlers away from Node's modules.
  const cpName = 'node:child_process';
  const modName = 'node:module';
  const { execFile } = (await import(/* @vite-ignore */ cpName)) as typeof import('node:child_process');
  const { createRequire } = (await import(/* @vite-ignore */ modName)) as typeof import('node:module');
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('webgpu');
  } catch (e) {
    throw new Error(`webgpu: cannot load the 'webgpu' package (Dawn for Node): ${(e as Error).message}`);
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', CHILD, `file://${entry}`], { timeout: 30_000 }, (err, out, errOut) => {
      if (!err) return resolve(out);
      const last = (errOut || err.message).trim().split('\n').filter(Boolean).pop() ?? 'no output';
      reject(new Error(`webgpu: probing for an adapter failed (exit ${err.code ?? err.signal}): ${last}`));
    });
  });
  const facts = JSON.parse(stdout) as AdapterFacts | null;
  if (!facts) throw new Error(NO_ADAPTER);
  return facts;
}

/** The adapter's facts (Node: once per process, in a child), or an error of one line saying what is missing. */
export async function probeAdapter(): Promise<AdapterFacts> {
  if (isNode()) {
    nodeProbe ??= probeInChild();
    return nodeProbe;
  }
  const adapter = await (await getGpu()).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(NO_ADAPTER);
  return adapterFacts(adapter);
}

/** What the device registry asks before it starts WebGPU for an automatic choice. */
export async function probeWebGpu(): Promise<ProbeResult> {
  const facts = await probeAdapter();
  return { autoSelectable: !isSoftwareAdapter(facts), description: describeAdapter(facts) };
}
