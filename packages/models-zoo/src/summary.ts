import { type Parameter, shapeToString, type Tensor } from '@mge/core';
import type { Module } from '@mge/module';

export interface LayerSummary {
  /** Dotted name, '' for the model itself. */
  name: string;
  type: string;
  outputShape: number[];
  /** Parameters owned directly by this layer (not its children). */
  params: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  inputShape: number[];
  outputShape: number[];
}

/**
 * Runs one forward pass on `input` and records every leaf module's output shape and
 * own parameter count (a `summary()`-style description of the network).
 */
export function summarize(model: Module, input: Tensor): ModelSummary {
  const layers: LayerSummary[] = [];
  const handles = [];
  for (const [name, m] of model.namedModules()) {
    if (m === model) continue;
    const own = [...m.parameters({ recursive: false })];
    handles.push(
      m.registerForwardHook((_mod, _in, out) => {
        const shape = (out as Tensor).shape;
        layers.push({ name, type: m.constructor.name, outputShape: [...shape], params: own.reduce((s, p) => s + p.size, 0) });
      }),
    );
  }
  let out: Tensor;
  try {
    out = model(input);
  } finally {
    for (const h of handles) h.remove();
  }
  const totalParams = [...model.parameters()].reduce((s, p: Parameter) => s + p.size, 0);
  // the model's own raw parameters (ConvReLU's convWeight…) count at the top level
  const ownTop = [...model.parameters({ recursive: false })].reduce((s, p) => s + p.size, 0);
  if (ownTop > 0) layers.unshift({ name: '(own)', type: model.constructor.name, outputShape: [...out.shape], params: ownTop });
  return { layers, totalParams, inputShape: [...input.shape], outputShape: [...out.shape] };
}

/** The summary as a text table: layer, type, output shape, parameters, and the total. */
export function formatSummary(s: ModelSummary): string {
  const rows = s.layers.map((l) => [l.name, l.type, shapeToString(l.outputShape), l.params.toLocaleString('en-US')]);
  const header = ['Layer', 'Type', 'Output shape', 'Params'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Input ${shapeToString(s.inputShape)} → output ${shapeToString(s.outputShape)}`,
    `Total params: ${s.totalParams.toLocaleString('en-US')}`,
  ].join('\n');
}
