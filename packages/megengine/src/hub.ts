import './start.js';

export * from '@mge/models-zoo';
