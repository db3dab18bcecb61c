/**
 * docs/hdl.md stays true: its "Complete small example" is extracted, run as written (tsx), and must emit a module
 * that lints clean (the example itself calls lintVerilog).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/version.js';

describe('docs/hdl.md', () => {
  it('the complete small example runs and lints clean', async () => {
    const md = await readFile(join(PROJECT_ROOT, 'docs', 'hdl.md'), 'utf8');
    const section = md.slice(md.indexOf('## Complete small example'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toBeTruthy();
    const hdl = pathToFileURL(join(PROJECT_ROOT, 'src', 'hdl', 'index.ts')).href;
    const lint = pathToFileURL(join(PROJECT_ROOT, 'src', 'tools', 'lint.ts')).href;
    const src = `${code!.replace("'../hdl/index.js'", `'${hdl}'`).replace("'../tools/lint.js'", `'${lint}'`)}\nconsole.log([...files.keys()].join(','));\n`;
    const dir = await mkdtemp(join(tmpdir(), 'accelforge-docs-'));
    try {
      await writeFile(join(dir, 'example.mts'), src);
      const r = await execa(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [join(dir, 'example.mts')], { cwd: PROJECT_ROOT });
      expect(r.stdout.trim()).toBe('mac_w8.v');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
