import { struct } from '@rootless-ts/constants';

/** A C struct's layout as @rootless-ts/constants generates it (offsets measured by the C compiler). */
export interface StructLayout {
  size: number;
  fields: Record<string, { offset: number; size: number }>;
}

export function layout(name: string): StructLayout {
  const l = (struct as unknown as Record<string, StructLayout | undefined>)[name];
  if (!l)
    throw new Error(`@rootless-ts/libc: no layout for struct ${name} in @rootless-ts/constants`);
  return l;
}

function field(l: StructLayout, name: string): { offset: number; size: number } {
  const f = l.fields[name];
  if (!f) throw new Error(`@rootless-ts/libc: struct layout has no field ${name}`);
  return f;
}

/** Writes an unsigned integer field (1, 2, 4 or 8 bytes, host byte order). */
export function writeField(
  buf: Buffer,
  l: StructLayout,
  name: string,
  value: number | bigint,
): void {
  const { offset, size } = field(l, name);
  switch (size) {
    case 8:
      buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), offset);
      return;
    case 4:
      buf.writeUInt32LE(Number(BigInt.asUintN(32, BigInt(value))), offset);
      return;
    case 2:
      buf.writeUInt16LE(Number(value) & 0xffff, offset);
      return;
    case 1:
      buf.writeUInt8(Number(value) & 0xff, offset);
      return;
    default:
      throw new Error(`@rootless-ts/libc: cannot write a ${size}-byte field ${name}`);
  }
}

/** Reads an unsigned integer field as a bigint. */
export function readField(buf: Buffer, l: StructLayout, name: string): bigint {
  const { offset, size } = field(l, name);
  switch (size) {
    case 8:
      return buf.readBigUInt64LE(offset);
    case 4:
      return BigInt(buf.readUInt32LE(offset));
    case 2:
      return BigInt(buf.readUInt16LE(offset));
    case 1:
      return BigInt(buf.readUInt8(offset));
    default:
      throw new Error(`@rootless-ts/libc: cannot read a ${size}-byte field ${name}`);
  }
}
