import { mkdtemp, rename, rm, mkdir, writeFile, stat } from 'node:fs/promises';
import { dirname, basename, join, resolve } from 'node:path';

/**
 * Build an output folder atomically: `fill` writes into a temporary sibling folder, which replaces `dest` only
 * when `fill` succeeds. On any error the temporary folder is removed and `dest` is left as it was, so a failed
 * command never leaves a half-written output folder.
 */
export async function writeDirAtomic<T>(dest: string, fill: (tmpDir: string) => Promise<T>): Promise<T> {
  const target = resolve(dest);
  await mkdir(dirname(target), { recursive: true });
  const tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const result = await fill(tmp);
    const old = `${tmp}.old`;
    let hadOld = false;
    try {
      await stat(target);
      await rename(target, old);
      hadOld = true;
    } catch {
      /* no previous folder */
    }
    await rename(tmp, target);
    if (hadOld) await rm(old, { recursive: true, force: true });
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Write one file atomically (temp file + rename), creating its folder. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
