import '#backends';
import { ready } from '@mge/core';

// The best device is known once every backend has answered (WebGPU only says whether its adapter
// may be chosen, in a child process in Node); a device named by MGE_DEVICE needs
// only its own answer, so a run on `cpu` never starts WebGPU (Dawn and a Vulkan driver in Node).
const chosen = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.MGE_DEVICE;
await ready(chosen && chosen !== 'auto' ? [chosen] : 'auto');
