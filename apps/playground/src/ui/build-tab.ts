/** Build & inspect: pick a zoo model or compose a Sequential; diagram, totals and code. */
import { zoo } from '@mge/models-zoo';
import convReluSource from '../../../../packages/models-zoo/src/conv-relu.ts?raw';
import lenetSource from '../../../../packages/models-zoo/src/lenet.ts?raw';
import { fieldNames, sequentialCode, zooUsageCode } from '../lib/codegen.js';
import { batchShape, type Inspection, inspectSequential, inspectZoo, parseShape, shapeTextError } from '../lib/inspect.js';
import { BLOCKS, LAYER_TYPES, type LayerSpec, type LayerType, layer, lenetBlocks } from '../lib/layers.js';
import { clear, h } from './dom.js';

const ZOO_CLASS: Record<string, { className: string; source: string }> = {
  lenet: { className: 'LeNet', source: lenetSource },
  'two-layer-conv': { className: 'TwoLayerConv', source: convReluSource },
  'conv-relu': { className: 'ConvReLU', source: convReluSource },
};

export class BuildTab {
  private choice = 'lenet';
  private specs: LayerSpec[] = lenetBlocks();
  private inputShape = [1, 32, 32];
  /** Set while the typed input shape is not a list of whole numbers (the last good shape is kept). */
  private inputError: string | null = null;
  private inputText: string | null = null;
  private readonly composer = h('div', { class: 'composer', id: 'composer' });
  private readonly diagram = h('ol', { class: 'diagram', id: 'diagram', 'aria-label': 'Network diagram' });
  private readonly totals = h('p', { class: 'totals', id: 'totals', role: 'status' });
  private readonly code = h('code', { id: 'code' });

  constructor(readonly root: HTMLElement) {
    const picker = h(
      'select',
      { id: 'model-picker', 'aria-label': 'Model' },
      // the models whose source the tab can show (the hub families are too large to inspect here)
      ...Object.entries(zoo)
        .filter(([k]) => k in ZOO_CLASS)
        .map(([k, e]) => h('option', { value: k, title: e.description }, ZOO_CLASS[k].className)),
      h('option', { value: 'custom' }, 'Custom Sequential…'),
    );
    picker.addEventListener('change', () => {
      this.choice = picker.value;
      this.render();
    });
    root.append(
      h('div', { class: 'toolbar' }, h('label', {}, 'Model ', picker)),
      h(
        'div',
        { class: 'cols' },
        h('div', {}, this.composer, h('h3', {}, 'Diagram'), this.diagram, this.totals),
        h('div', {}, h('h3', {}, 'TypeScript'), h('pre', { class: 'code', tabindex: 0 }, this.code)),
      ),
    );
    this.render();
  }

  /** Re-runs shape inference (e.g. after the device changed). */
  render(): void {
    // Rebuilding the composer replaces its inputs: keep keyboard focus where it was.
    const focused = document.activeElement?.getAttribute('aria-label');
    let ins: Inspection;
    let code: string;
    if (this.choice === 'custom') {
      this.renderComposer();
      ins = inspectSequential(this.specs, this.inputShape);
      code = sequentialCode(this.specs, this.inputShape);
    } else {
      clear(this.composer);
      const z = ZOO_CLASS[this.choice];
      ins = inspectZoo(this.choice);
      code = `${zooUsageCode(z.className, ins.inputShape)}\n// @mge/models-zoo's source:\n${z.source}`;
    }
    this.renderDiagram(ins);
    this.code.textContent = code;
    if (focused) this.root.querySelector<HTMLElement>(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
  }

  private renderDiagram(ins: Inspection): void {
    clear(this.diagram);
    const names = this.choice === 'custom' ? fieldNames(this.specs) : null;
    this.diagram.append(
      h(
        'li',
        { class: 'node input' },
        h('span', { class: 'name' }, 'input'),
        h('span', { class: 'shape' }, batchShape([1, ...ins.inputShape])),
      ),
    );
    const inputError = this.choice === 'custom' ? (this.inputError ?? (ins.error?.index === -1 ? ins.error.message : null)) : null;
    if (inputError) this.diagram.append(h('li', { class: 'node error', id: 'input-shape-error', role: 'alert' }, inputError));
    ins.rows.forEach((r, i) => {
      const reached = r.outputShape !== null || r.error !== null;
      this.diagram.append(
        h(
          'li',
          { class: `node${r.error ? ' error' : ''}${reached ? '' : ' unreached'}`, 'data-layer': i },
          h('span', { class: 'name' }, names ? names[i] : r.name),
          h('span', { class: 'type' }, r.type),
          h('span', { class: 'shape' }, r.outputShape ? batchShape(r.outputShape) : r.error ? '✗' : '—'),
          h('span', { class: 'params' }, `${r.params.toLocaleString('en-US')} params`),
          r.error ? h('span', { class: 'message', role: 'alert' }, r.error) : null,
        ),
      );
    });
    const out = ins.outputShape ? batchShape(ins.outputShape) : 'does not run';
    this.totals.textContent = `Total ${ins.totalParams.toLocaleString('en-US')} parameters · output ${out}`;
  }

  private renderComposer(): void {
    clear(this.composer);
    const shapeInput = h('input', {
      id: 'input-shape',
      value: this.inputText ?? this.inputShape.join(', '),
      size: 10,
      'aria-label': 'Input shape (C, H, W)',
    });
    shapeInput.addEventListener('change', () => {
      this.inputError = shapeTextError(shapeInput.value);
      this.inputText = this.inputError ? shapeInput.value : null;
      if (!this.inputError) this.inputShape = parseShape(shapeInput.value);
      this.render();
    });
    const list = h('ol', { class: 'blocks' });
    this.specs.forEach((s, i) => {
      const args = BLOCKS[s.type].args.map((a) => {
        const input = h('input', {
          type: 'number',
          value: s.args[a.name],
          min: a.min,
          max: a.max,
          step: a.integer ? 1 : 0.05,
          'aria-label': `layer ${i} ${s.type} ${a.name}`,
          'data-arg': a.name,
        });
        input.addEventListener('change', () => {
          s.args[a.name] = input.value === '' ? Number.NaN : Number(input.value);
          this.render();
        });
        return h('label', { class: 'arg' }, `${a.label} `, input);
      });
      const move = (d: number) => () => {
        const j = i + d;
        if (j < 0 || j >= this.specs.length) return;
        [this.specs[i], this.specs[j]] = [this.specs[j], this.specs[i]];
        this.render();
      };
      list.append(
        h(
          'li',
          { class: 'block', 'data-layer': i },
          h('span', { class: 'type' }, s.type),
          ...args,
          h(
            'span',
            { class: 'block-buttons' },
            h('button', { type: 'button', onclick: move(-1), 'aria-label': `move layer ${i} up`, disabled: i === 0 }, '↑'),
            h(
              'button',
              { type: 'button', onclick: move(1), 'aria-label': `move layer ${i} down`, disabled: i === this.specs.length - 1 },
              '↓',
            ),
            h(
              'button',
              {
                type: 'button',
                onclick: () => {
                  this.specs.splice(i, 1);
                  this.render();
                },
                'aria-label': `remove layer ${i}`,
              },
              '✕',
            ),
          ),
        ),
      );
    });
    const addType = h(
      'select',
      { id: 'add-type', 'aria-label': 'Layer type to add' },
      ...LAYER_TYPES.map((t) => h('option', { value: t }, t)),
    );
    const add = h('button', { type: 'button', id: 'add-layer' }, 'Add layer');
    add.addEventListener('click', () => {
      this.specs.push(layer(addType.value as LayerType));
      this.render();
    });
    const resetBtn = h(
      'button',
      {
        type: 'button',
        onclick: () => {
          this.specs = lenetBlocks();
          this.inputShape = [1, 32, 32];
          this.inputError = null;
          this.inputText = null;
          this.render();
        },
      },
      'LeNet blocks',
    );
    const clearBtn = h(
      'button',
      {
        type: 'button',
        onclick: () => {
          this.specs = [];
          this.render();
        },
      },
      'Empty',
    );
    this.composer.append(
      h('div', { class: 'toolbar' }, h('label', {}, 'Input (C, H, W) ', shapeInput), addType, add, resetBtn, clearBtn),
      list,
    );
  }
}
