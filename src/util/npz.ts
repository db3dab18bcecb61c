/**
 * A minimal `.npz` writer (numpy's `np.savez_compressed` format): a ZIP archive of `.npy` files, each entry
 * deflate-compressed, no ZIP64 (every entry and the whole archive < 4 GiB). numpy reads it with `np.load(path)`;
 * nothing else is needed on the Python side. The archive is deterministic (fixed DOS time stamp, entries in the
 * given order), so the same arrays give the same bytes.
 */
import { deflateRawSync } from 'node:zlib';

export type NpyDtype = 'u1' | 'i4' | 'i8';

export interface NpyArray {
  name: string;
  dtype: NpyDtype;
  shape: number[];
  data: Uint8Array | Int32Array | BigInt64Array;
}

const ITEM: Record<NpyDtype, number> = { u1: 1, i4: 4, i8: 8 };

/** One `.npy` file (format 1.0): magic, header dict padded to a multiple of 64 bytes, little-endian data. */
export function npyBytes(a: NpyArray): Uint8Array {
  const count = a.shape.reduce((p, d) => p * d, 1);
  if (a.data.length !== count) throw new Error(`npy '${a.name}': ${a.data.length} elements for shape [${a.shape.join(', ')}]`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${a.dtype === 'u1' ? '|u1' : `<${a.dtype}`}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pre = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header.padEnd(total - pre - 1, ' ') + '\n';
  const body = new Uint8Array(a.data.buffer, a.data.byteOffset, count * ITEM[a.dtype]);
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(Buffer.from(header, 'latin1'), pre);
  // typed arrays are little-endian on every platform node runs on (x86, ARM)
  out.set(body, total);
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as ZIP uses). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The `.npz` archive of the arrays (entry names `<name>.npy`). */
export function npzBytes(arrays: NpyArray[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const DOS_TIME = 0; // 00:00:00
  const DOS_DATE = (1 << 5) | 1; // 1980-01-01
  for (const a of arrays) {
    const raw = npyBytes(a);
    const comp = deflateRawSync(raw, { level: 6 });
    const name = Buffer.from(`${a.name}.npy`, 'utf8');
    const crc = crc32(raw);
    if (raw.length >= 2 ** 32 || offset + comp.length >= 2 ** 32) throw new Error(`npz '${a.name}': archive larger than 4 GiB (no ZIP64)`);
    // the fields the local header (at 4) and the central directory entry (at 6) share, in the same order
    const common = (buf: Buffer, at: number): Buffer => {
      buf.writeUInt16LE(20, at); // version needed
      buf.writeUInt16LE(0, at + 2); // flags
      buf.writeUInt16LE(8, at + 4); // deflate
      buf.writeUInt16LE(DOS_TIME, at + 6);
      buf.writeUInt16LE(DOS_DATE, at + 8);
      buf.writeUInt32LE(crc, at + 10);
      buf.writeUInt32LE(comp.length, at + 14);
      buf.writeUInt32LE(raw.length, at + 18);
      buf.writeUInt16LE(name.length, at + 22); // then extra length 0 (and, central, comment/disk/attributes 0)
      return buf;
    };
    const local = common(Buffer.alloc(30), 4);
    local.writeUInt32LE(0x04034b50, 0);
    const cd = common(Buffer.alloc(46), 6);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4); // version made by
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, comp);
    central.push(cd, name);
    offset += local.length + name.length + comp.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(arrays.length, 8);
  end.writeUInt16LE(arrays.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBuf, end]);
}
