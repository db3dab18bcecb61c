/** Helpers for unsigned/two's-complement bit vectors held in bigints. */

/** Mask of `width` ones. */
export function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** Two's-complement encoding of `v` in `width` bits (v must fit as a signed or unsigned value). */
export function toUnsigned(v: bigint, width: number): bigint {
  return v & mask(width);
}

/** Signed value of the `width`-bit two's-complement pattern `v`. */
export function toSigned(v: bigint, width: number): bigint {
  const u = v & mask(width);
  return u >> BigInt(width - 1) ? u - (1n << BigInt(width)) : u;
}

/** Hex text of `v` (no prefix), lower case. */
export function hex(v: bigint | undefined): string {
  return v === undefined ? '-' : `0x${v.toString(16)}`;
}
