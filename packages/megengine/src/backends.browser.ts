// The backends that can run in a browser, one import each; a backend registers itself when imported.
// Nothing Node-only belongs here: bundlers take this file under the "browser" and "default" conditions.
import '@mge/kernels-wasm';
import '@mge/kernels-webgpu';
