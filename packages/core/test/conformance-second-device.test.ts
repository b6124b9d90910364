/**
 * The suite again on a second js-backed device that is not the default: any operator
 * that makes a helper tensor (a scalar, a zeros for a gradient) on the default device
 * instead of its inputs' device fails here with a two-device error.
 */
import { getDefaultDevice, JsBackend, registerBackend } from '@mge/core';
import { runConformance } from '@mge/core/testing';
import { expect, it } from 'vitest';

registerBackend('js-second', () => new JsBackend(), 1);

it('the second device is not the default', () => {
  expect(getDefaultDevice()).toBe('js');
});

runConformance('js-second');
