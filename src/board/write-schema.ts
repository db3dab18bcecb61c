/** Regenerate boards/board.schema.json from the zod schema: `npx tsx src/board/write-schema.ts`. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fsx.js';
import { BOARDS_DIR } from './load.js';
import { boardJsonSchema } from './schema.js';

export function boardSchemaText(): string {
  return `${JSON.stringify(boardJsonSchema(), null, 2)}\n`;
}

const isEntry = process.argv[1] && /write-schema\.ts$/.test(process.argv[1]);
if (isEntry) {
  await writeFileAtomic(join(BOARDS_DIR, 'board.schema.json'), boardSchemaText());
  process.stdout.write(`wrote ${join(BOARDS_DIR, 'board.schema.json')}\n`);
}
