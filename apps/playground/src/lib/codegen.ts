/**
 * The TypeScript that builds a composed network, in the style of MegEngine's network-building guide examples: a Module
 * subclass with one field per layer and a forward that threads `x` through them.
 */
import { BLOCKS, type LayerSpec } from './layers.js';

/** Field names: conv1, relu1, pool1, conv2 … numbered per stem, in order. */
export function fieldNames(specs: readonly LayerSpec[]): string[] {
  const seen = new Map<string, number>();
  return specs.map((s) => {
    const stem = BLOCKS[s.type].stem;
    const n = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, n);
    return `${stem}${n}`;
  });
}

export function sequentialCode(specs: readonly LayerSpec[], inputShape: readonly number[], className = 'Net'): string {
  const names = fieldNames(specs);
  const fields = specs.map((s, i) => `  ${names[i]} = ${BLOCKS[s.type].code(s.args)};`);
  const body = specs.map((_s, i) => `    x = this.${names[i]}(x);`);
  return [
    "import { type Tensor, zeros } from '@mge/core';",
    "import * as M from '@mge/module';",
    '',
    `class ${className} extends M.Module {`,
    ...fields,
    '',
    '  forward(x: Tensor): Tensor {',
    ...body,
    '    return x;',
    '  }',
    '}',
    '',
    `const net = new ${className}();`,
    `const y = net(zeros([1, ${inputShape.join(', ')}]));`,
    'console.log(y.shape);',
    '',
  ].join('\n');
}

/** How a zoo model is used; its class source is shown next to this. */
export function zooUsageCode(className: string, inputShape: readonly number[]): string {
  return [
    "import { zeros } from '@mge/core';",
    `import { ${className} } from '@mge/models-zoo';`,
    '',
    `const net = new ${className}();`,
    `const y = net(zeros([1, ${inputShape.join(', ')}]));`,
    'console.log(y.shape);',
    '',
  ].join('\n');
}
