import type { OpsNamespace } from '../elementwise/table.js';

/*
 * Gradient and composition rules call core's operators through this namespace, handed over
 * by core's entry point once every op module has loaded, so that no op module imports
 * another for its gradient: the op files form no import loop.
 */
let ops: OpsNamespace | undefined;

export function provideOperators(o: OpsNamespace): void {
  ops = o;
}

export function operators(): OpsNamespace {
  if (!ops) throw new Error("@mge/core: operators are wired by the package's entry point; import them from '@mge/core'");
  return ops;
}
