/** Typed-array helpers shared across the project. */

interface NumberArray extends ArrayLike<number> {
  set(array: ArrayLike<number>, offset?: number): void;
}

/** The `parts` one after another in one new array of the kind `make` constructs (Uint8Array, Int32Array, …). */
export function concatArrays<T extends NumberArray>(make: new (length: number) => T, parts: readonly ArrayLike<number>[]): T {
  const out = new make(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
