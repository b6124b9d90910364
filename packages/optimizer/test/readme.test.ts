import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The README's example must run as written and print the fitted line.
it('the README example runs and fits y = 2x + 1', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1];
  const file = join(here, `.readme-example-${process.pid}.ts`);
  writeFileSync(file, code);
  try {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', file], { cwd: join(here, '..'), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2.000 1.000');
  } finally {
    rmSync(file, { force: true });
  }
});
