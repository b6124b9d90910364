import './start.js';

export * from '@mge/onnx';
