import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Root of accelforge's build caches (Verilator/Icarus builds, yosys outputs), shared by every checkout of the project
 * on the machine, like ccache: `$ACCELFORGE_CACHE`, else `$XDG_CACHE_HOME/accelforge`, else `~/.cache/accelforge`.
 * Entries are keyed by a content hash of everything that shapes them, so a stale entry is never reused; deleting
 * the folder only costs rebuild time.
 */
export function cacheRoot(): string {
  const explicit = process.env.ACCELFORGE_CACHE?.trim();
  if (explicit) return resolve(explicit);
  const xdg = process.env.XDG_CACHE_HOME?.trim();
  return join(xdg ? resolve(xdg) : join(homedir(), '.cache'), 'accelforge');
}
