/**
 * Generates the two Teams app icons in manifest/:
 *   - color.png   192x192, full colour: a white heart on the accent colour, in a rounded square.
 *   - outline.png  32x32, white on transparent: the same heart.
 *
 * Run: `npx tsx scripts/make-icons.ts`. The output is deterministic, so the PNGs are checked in
 * and only change when this script does. No dependencies: PNG encoding uses node:zlib.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/** Accent colour of the app; keep in sync with `accentColor` in manifest/manifest.json. */
export const ACCENT_COLOR = '#0F766E';

type Rgb = readonly [number, number, number];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** Encodes 8-bit RGBA pixels (row-major, 4 bytes per pixel) as a PNG file. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error('pixel buffer does not match the size');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter type: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function hexToRgb(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1] as string, 16), parseInt(m[2] as string, 16), parseInt(m[3] as string, 16)];
}

/** The classic heart curve (x²+y²-1)³ - x²y³ ≤ 0, in a box of about [-1.15, 1.15] x [-1, 1.25]. */
function inHeart(x: number, y: number): boolean {
  const a = x * x + y * y - 1;
  return a * a * a - x * x * y * y * y <= 0;
}

/** Inside a square of side 2 centred on 0 with corner radius r. */
function inRoundedSquare(x: number, y: number, r: number): boolean {
  const dx = Math.max(Math.abs(x) - (1 - r), 0);
  const dy = Math.max(Math.abs(y) - (1 - r), 0);
  return dx * dx + dy * dy <= r * r;
}

/** Fraction (0..1) of an n x n supersample grid of pixel (px, py) for which `inside` holds. */
function coverage(px: number, py: number, size: number, inside: (x: number, y: number) => boolean): number {
  const n = 4;
  let hits = 0;
  for (let sy = 0; sy < n; sy++) {
    for (let sx = 0; sx < n; sx++) {
      // map to [-1, 1], y pointing up
      const x = ((px + (sx + 0.5) / n) / size) * 2 - 1;
      const y = 1 - ((py + (sy + 0.5) / n) / size) * 2;
      if (inside(x, y)) hits++;
    }
  }
  return hits / (n * n);
}

/** Heart scaled to `scale` of the icon's half-width, optically centred. */
function heartAt(scale: number): (x: number, y: number) => boolean {
  return (x, y) => inHeart(x / scale, (y + 0.08 * scale) / scale + 0.1);
}

export function renderColorIcon(size = 192, accent: string = ACCENT_COLOR): Buffer {
  const bg = hexToRgb(accent);
  const heart = heartAt(0.52);
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const square = coverage(px, py, size, (x, y) => inRoundedSquare(x, y, 0.22));
      const h = coverage(px, py, size, heart);
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round((bg[c] as number) * (1 - h) + 255 * h);
      rgba[i + 3] = Math.round(255 * square);
    }
  }
  return encodePng(size, size, rgba);
}

export function renderOutlineIcon(size = 32): Buffer {
  const heart = heartAt(0.78);
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const alpha = Math.round(255 * coverage(px, py, size, heart));
      const i = (py * size + px) * 4;
      // white where anything is drawn; fully transparent pixels are all zero
      const v = alpha > 0 ? 255 : 0;
      rgba[i] = v;
      rgba[i + 1] = v;
      rgba[i + 2] = v;
      rgba[i + 3] = alpha;
    }
  }
  return encodePng(size, size, rgba);
}

if (require.main === module) {
  const dir = path.resolve(__dirname, '..', 'manifest');
  writeFileSync(path.join(dir, 'color.png'), renderColorIcon());
  writeFileSync(path.join(dir, 'outline.png'), renderOutlineIcon());
  console.log(`Wrote ${path.join(dir, 'color.png')} and ${path.join(dir, 'outline.png')}`);
}
