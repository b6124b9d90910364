export type { Graph, GraphNode, GraphValue } from './graph.js';
