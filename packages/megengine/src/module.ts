import './start.js';

export * from '@mge/module';
