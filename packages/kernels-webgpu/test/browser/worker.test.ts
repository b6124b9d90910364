import { describe, expect, it } from 'vitest';

interface Report {
  error?: string;
  adapter?: { architecture: string };
  results?: { name: string; mismatches: string }[];
}

describe('webgpu in a dedicated Worker', () => {
  it('runs matmul, conv2d (+ backward) and pooling cases and matches the js backend', async () => {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    const report = await new Promise<Report>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data as Report);
      worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
      worker.postMessage('run');
    });
    worker.terminate();
    expect(report.error).toBeUndefined();
    expect(report.results!.length).toBeGreaterThanOrEqual(10);
    for (const r of report.results!) expect(r.mismatches, r.name).toBe('');
  });
});
