export type { Graph, GraphNode, GraphValue } from './graph.js';
export { TraceError } from './recording.js';
export { type NamedTensors, type Traced, type TraceOptions, trace } from './trace.js';
