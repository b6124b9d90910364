import './start.js';

export * from '@mge/optimizer';
