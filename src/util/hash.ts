import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal configurations hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short (12 hex digit) hash of a configuration object, as printed in generated file headers. */
export function configHash(config: unknown): string {
  return sha256(canonicalJson(config)).slice(0, 12);
}
