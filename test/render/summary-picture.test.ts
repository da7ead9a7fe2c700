import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_MOUNTS, runDemo } from '../../lab/demo.ts';
import { ROOT } from '../../lab/paths.ts';
import { renderSummaryPng } from '../../lab/render.ts';

const PICTURE = join(ROOT, 'docs', 'summary.png');

describe('the job summary of the demo rollout, as GitHub shows it', () => {
  it('renders to a picture with its table and its diagram drawn', async () => {
    const { release } = await runDemo();
    expect(release.exitCode, release.log).toBe(0);

    const rendered = await renderSummaryPng(release.summary, 'release · rollout summary', PICTURE);

    expect(rendered.diagramErrors).toEqual([]);
    expect(rendered.diagrams).toBe(1);
    expect(rendered.tableRows).toBeGreaterThanOrEqual(DEMO_MOUNTS.length);
    const png = await readFile(PICTURE);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(rendered.width);
    expect(png.readUInt32BE(20)).toBe(rendered.height);
  });
});
