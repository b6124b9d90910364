import './start.js';

// Node: the browser-safe parts and MNIST from IDX files on disk.
export * from '@mge/data/node';
