import './start.js';

export * from '@mge/jit';
