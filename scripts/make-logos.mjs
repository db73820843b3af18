// Draws the kernel's logos (kernel/logo-32x32.png, logo-64x64.png, logo-svg.svg): a white ring
// with a gap, an event loop, on TypeScript blue. Run once; the files are committed.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

function crc32(buf) {
  let c,
    crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size) {
  const rows = [];
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) {
      const dx = x - c,
        dy = y - c;
      const r = Math.hypot(dx, dy) / (size / 2);
      const angle = Math.atan2(dy, dx);
      const corner = Math.max(Math.abs(dx), Math.abs(dy)) / (size / 2);
      let px = [0x31, 0x78, 0xc6, 255]; // TypeScript blue
      if (corner > 0.98 && r > 1.2) px = [0, 0, 0, 0];
      if (r > 0.45 && r < 0.7 && !(angle > -0.9 && angle < -0.2)) px = [255, 255, 255, 255];
      if (r < 0.16) px = [255, 255, 255, 255];
      row.push(...px);
    }
    rows.push(Buffer.from(row));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

writeFileSync(new URL("../kernel/logo-32x32.png", import.meta.url), png(32));
writeFileSync(new URL("../kernel/logo-64x64.png", import.meta.url), png(64));
writeFileSync(
  new URL("../kernel/logo-svg.svg", import.meta.url),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="#3178c6"/><path d="M 45 13 A 19 19 0 1 1 24 14.5" fill="none" stroke="#fff" stroke-width="7"/><circle cx="32" cy="32" r="5" fill="#fff"/></svg>\n`,
);
