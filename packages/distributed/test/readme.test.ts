/** The README's example runs as written on 2 ranks and fits the line. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { mpirun } from './mpirun.js';

it('the README example trains on 2 ranks and rank 0 prints the fitted line', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const code = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(here, '..', 'README.md'), 'utf8'))?.[1];
  expect(code).toBeDefined();
  const file = join(here, 'ranks', `.readme-example-${process.pid}.ts`);
  writeFileSync(file, code as string);
  try {
    const r = mpirun(file);
    expect(r.stderr).not.toMatch(/uncaught/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('2 ranks: w=2.000 b=1.000');
  } finally {
    rmSync(file, { force: true });
  }
});
