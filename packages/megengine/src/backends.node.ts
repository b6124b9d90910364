// The backends that can run in Node, one import each; a backend registers itself when imported.
// The native addon and Dawn load on first use, so a package that fails to load only loses its device.
import '@mge/kernels-cpu';
import '@mge/kernels-wasm';
import '@mge/kernels-webgpu';
