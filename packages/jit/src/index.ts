export { type Dumper, registerDumper, type Traced, type TracedDumpOptions, trace } from './dump-hook.js';
export type { Graph, GraphNode, GraphValue } from './graph.js';
export { TraceError } from './recording.js';
export type { NamedTensors, TraceOptions } from './trace.js';
