import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a module in a fresh Node with the given MGE_DEVICE (source files, as vitest resolves them). */
function node(
  code: string,
  device?: string,
  extraEnv: Record<string, string> = {},
): { stdout: string; stderr: string; status: number | null } {
  const env: Record<string, string | undefined> = { ...process.env, MGE_QUIET: '1', ...extraEnv };
  delete env.MGE_DEVICE;
  if (device) env.MGE_DEVICE = device;
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['--conditions=source', '--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('megengine', () => {
  it("exports MegEngine's modules under its import paths", async () => {
    const mge = await import('megengine');
    const F = await import('megengine/functional');
    const M = await import('megengine/module');
    const optim = await import('megengine/optimizer');
    const ad = await import('megengine/autodiff');
    const data = await import('megengine/data');
    const hub = await import('megengine/hub');
    const dist = await import('megengine/distributed');
    const jit = await import('megengine/jit');
    const onnx = await import('megengine/onnx');
    for (const [where, name] of [
      [mge, 'Tensor'],
      [mge, 'Parameter'],
      [mge, 'zeros'],
      [mge, 'save'],
      [mge, 'load'],
      [mge, 'setDefaultDevice'],
      [F, 'conv2d'],
      [M, 'Module'],
      [optim, 'SGD'],
      [jit, 'trace'],
      [jit, 'dump'],
      [onnx, 'toOnnx'],
      [onnx, 'loadOnnx'],
      [ad, 'GradManager'],
      [ad, 'Function'],
      [dist, 'getRank'],
      [dist, 'makeAllreduceCb'],
      [dist, 'SyncBatchNorm'],
      [data, 'DataLoader'],
      [data, 'MNIST'], // Node's megengine/data reads IDX files too
      [hub, 'LeNet'],
    ] as const) {
      expect(typeof (where as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(typeof mge.random.normal).toBe('function');
    const x = mge.tensor([-1, 2]);
    expect(Array.from(await F.relu(x).data())).toEqual([0, 2]);
  });

  it('registers the native cpu backend in Node and leaves webgpu and wasm unstarted when MGE_DEVICE names cpu', () => {
    const r = node(
      "import * as mge from 'megengine'; console.log(JSON.stringify(mge.deviceInfo().map((d) => [d.name, d.state])), mge.getDefaultDevice());",
      'cpu',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('[["webgpu","pending"],["cpu","ready"],["wasm","pending"],["js","ready"]] cpu');
    expect(r.stderr).not.toMatch(/Warning|Vulkan|Dawn/);
  });

  it('asks WebGPU in a child process whether its adapter may be chosen, so an automatic choice prints nothing', () => {
    const r = node(
      "import * as mge from 'megengine'; const w = mge.deviceInfo().find((d) => d.name === 'webgpu'); console.log(mge.getDefaultDevice(), w.state, w.autoSelectable);",
    );
    expect(r.status, r.stderr).toBe(0);
    // this machine's adapter (lavapipe) is a software one: probed, not started, not chosen
    expect(r.stdout.trim()).toBe('cpu pending false');
    expect(r.stderr).toBe('');
  });

  it('with no Vulkan driver, says in one line what is missing and how to install it', () => {
    const r = node("import * as mge from 'megengine'; console.log(mge.getDefaultDevice(), mge.deviceInfo()[0].state);", undefined, {
      VK_ICD_FILENAMES: '/nonexistent/icd.json',
      MGE_QUIET: '0',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('cpu failed');
    // the registry's one warning; none of the Vulkan loader's or Dawn's lines
    expect(r.stderr).toBe(
      "[mge] backend 'webgpu' is unavailable: webgpu: no WebGPU adapter found (install a Vulkan driver such as Mesa lavapipe — packages/kernels-webgpu/scripts/install-vulkan.sh)\n",
    );
  });

  it('names the package to import for a device nobody registered', () => {
    const r = node("import * as mge from '@mge/core'; mge.zeros([1]);", 'cpu');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown device 'cpu'; its backend registers itself when '@mge/kernels-cpu' is imported");
  });

  it('bundles for a browser without the Node-only cpu addon', async () => {
    const out = await build({
      stdin: {
        contents:
          "import * as mge from 'megengine'; import * as F from 'megengine/functional'; import { DataLoader } from 'megengine/data'; console.log(F.relu(mge.zeros([1])), DataLoader);",
        resolveDir: root,
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      conditions: ['source'],
      external: ['webgpu'],
      logLevel: 'silent',
    });
    const text = out.outputFiles[0].text;
    expect(text).toContain("registerBackend('webgpu'".replace(/'/g, '"'));
    expect(text).not.toMatch(/CpuBackend|loadNative|build\/Release|readMnistIdx|from "node:fs"/);
  });
});
