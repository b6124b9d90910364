import './start.js';

export * from '@mge/data';
