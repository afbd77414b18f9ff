/**
 * A minimal tar writer for unit tests (ustar headers, a pax header for long names), so the
 * archive sources can be tested without any tool installed.
 */
export type TarMember =
  | { name: string; data: Buffer | string }
  | { name: string; symlink: string }
  | { name: string; dir: true };

function header(name: string, size: number, type: string, link = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(link.slice(0, 100), 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

export function makeTar(members: TarMember[]): Buffer {
  const out: Buffer[] = [];
  for (const m of members) {
    if (Buffer.byteLength(m.name) > 100) {
      const rec = ` path=${m.name}\n`;
      let len = rec.length;
      len += String(len + String(len).length).length;
      const body = Buffer.from(`${len}${rec}`);
      out.push(header('PaxHeader', body.length, 'x'), pad(body));
    }
    if ('data' in m) {
      const data = Buffer.from(m.data);
      out.push(header(m.name, data.length, '0'), pad(data));
    } else if ('symlink' in m) {
      out.push(header(m.name, 0, '2', m.symlink));
    } else {
      out.push(header(m.name, 0, '5'));
    }
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}
