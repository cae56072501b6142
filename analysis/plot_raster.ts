// An RGBA pixel buffer with the few drawing operations the plot needs: rectangles, lines along the axes, single
// pixels and text (analysis/plot_font.ts). Everything outside the buffer is clipped.
import { textDots } from "./plot_font.ts";

/** An RGB colour, 0 … 255 per channel. */
export type Rgb = readonly [number, number, number];

/** An opaque RGBA image that draws by clipping to its bounds. */
export class Raster {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Row-major RGBA bytes, 4 per pixel. */
  readonly data: Uint8Array;

  /** A `width` × `height` image filled with `background`. */
  constructor(width: number, height: number, background: Rgb) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    this.rect(0, 0, width, height, background);
  }

  /** Sets one pixel (ignored outside the image). */
  set(x: number, y: number, [r, g, b]: Rgb): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.data[i] = r;
    this.data[i + 1] = g;
    this.data[i + 2] = b;
    this.data[i + 3] = 255;
  }

  /** Fills the rectangle [x, x + w) × [y, y + h). */
  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.floor(x)), x1 = Math.min(this.width, Math.floor(x + w));
    const y0 = Math.max(0, Math.floor(y)), y1 = Math.min(this.height, Math.floor(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 4;
        this.data[i] = c[0];
        this.data[i + 1] = c[1];
        this.data[i + 2] = c[2];
        this.data[i + 3] = 255;
      }
    }
  }

  /** A vertical line at column x from row y0 to row y1, both included, in either order. */
  vline(x: number, y0: number, y1: number, c: Rgb): void {
    const lo = Math.min(y0, y1), hi = Math.max(y0, y1);
    this.rect(x, lo, 1, Math.floor(hi) - Math.floor(lo) + 1, c);
  }

  /** A horizontal line at row y from column x0 to column x1, both included. */
  hline(x0: number, x1: number, y: number, c: Rgb): void {
    this.rect(Math.min(x0, x1), y, Math.abs(x1 - x0) + 1, 1, c);
  }

  /** Text with its top-left corner at (x, y), `scale` pixels per font pixel. */
  text(s: string, x: number, y: number, c: Rgb, scale = 1): void {
    textDots(s, x, y, scale, (px, py) => this.set(px, py, c));
  }
}
