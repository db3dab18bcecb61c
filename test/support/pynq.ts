/** The stand-in `pynq` module (pynq_standin.py) in a fresh folder, for `sys.path.insert(0, folder)` in driver tests. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/version.js';

export function standInPynq(): string {
  const dir = mkdtempSync(join(tmpdir(), 'af-pynq-'));
  copyFileSync(join(PROJECT_ROOT, 'test', 'support', 'pynq_standin.py'), join(dir, 'pynq.py'));
  return dir;
}
