/**
 * Prints a content hash of every representative generated design (src/generators.ts), one line each: run it
 * before and after a refactor that must not change the emitted Verilog, and diff the two outputs.
 *   npx tsx scripts/gen-hash.ts > /tmp/before.txt
 */
import { createHash } from 'node:crypto';
import { representativeDesigns } from '../src/generators.js';

for (const d of representativeDesigns()) {
  const h = createHash('sha256');
  for (const [name, text] of [...d.files].sort(([a], [b]) => a.localeCompare(b))) h.update(`${name}\0${text}\0`);
  process.stdout.write(`${h.digest('hex').slice(0, 16)} ${d.name}\n`);
}
