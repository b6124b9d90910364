import './start.js';

export * from '@mge/distributed';
