import './start.js';

export * from '@mge/functional';
