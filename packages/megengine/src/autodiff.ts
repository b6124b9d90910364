import './start.js';
import { autodiff } from '@mge/core';

export { GradManager, noGrad } from '@mge/core';

/** MegEngine's megengine.autodiff.Function: a custom forward with a hand-written backward. */
const AutodiffFunction: typeof autodiff.Function = autodiff.Function;

export { AutodiffFunction as Function };
