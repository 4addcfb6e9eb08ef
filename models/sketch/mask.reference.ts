/**
 * The mask operations as they were before mask.ts was rewritten for speed (plain loops, written
 * for clarity), kept as the oracle that mask.test.ts compares the fast ones with: their output
 * must be bit-identical, so features cached before the rewrite stay valid. Imported only by
 * tests; do not use it. close() was not rewritten, so it is not repeated here.
 */
/*
 * Binary stroke masks (1 = ink, 0 = paper, row-major) and the few shape operations sketches
 * need. sharp has dilate/erode but no thinning, connected components or bounding box, so those
 * are written here; each is a linear or near-linear pass over a few hundred thousand pixels.
 */
import type { Box, Mask } from './mask.ts';

export const inkCount = (m: Mask): number => m.data.reduce((n, v) => n + v, 0);

/** The smallest box holding every ink pixel, or null for an empty mask. */
export function boundingBox(m: Mask): Box | null {
  let left = m.width;
  let right = -1;
  let top = m.height;
  let bottom = -1;
  for (let y = 0; y < m.height; y++) {
    const row = y * m.width;
    for (let x = 0; x < m.width; x++) {
      if (m.data[row + x] === 0) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      bottom = y;
    }
  }
  return right < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * Zhang-Suen thinning: peels boundary pixels in two alternating sub-passes until only a
 * one-pixel-wide, 8-connected skeleton is left, keeping the strokes' topology.
 */
export function thin(m: Mask): Mask {
  const { width: w, height: h } = m;
  const img = Uint8Array.from(m.data);
  const remove: number[] = [];
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : img[y * w + x]);
  for (let changed = true; changed; ) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      remove.length = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (img[y * w + x] === 0) continue;
          // Neighbours p2..p9 clockwise from north.
          const p = [at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1), at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)];
          const b = p[0] + p[1] + p[2] + p[3] + p[4] + p[5] + p[6] + p[7];
          if (b < 2 || b > 6) continue;
          let a = 0;
          for (let i = 0; i < 8; i++) if (p[i] === 0 && p[(i + 1) % 8] === 1) a++;
          if (a !== 1) continue;
          const [n, , e, , s, , west] = p;
          if (pass === 0 ? n * e * s === 0 && e * s * west === 0 : n * e * west === 0 && n * s * west === 0) {
            remove.push(y * w + x);
          }
        }
      }
      for (const i of remove) img[i] = 0;
      if (remove.length > 0) changed = true;
    }
  }
  pruneStaircases(img, w, h);
  return { width: w, height: h, data: img };
}

const ring: readonly [number, number][] = [[0, -1], [1, -1], [1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1]];

/**
 * Zhang-Suen leaves 4-connected staircases on slanted strokes (a pixel at each step that an
 * 8-connected line does not need). A pixel is dropped when it has 2+ ink neighbours that stay
 * 8-connected among themselves without it, so lines keep their ends, junctions and loops.
 */
function pruneStaircases(img: Uint8Array, w: number, h: number): void {
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && img[y * w + x] === 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (img[y * w + x] === 0) continue;
      const nbrs = ring.filter(([dx, dy]) => inside(x + dx, y + dy));
      if (nbrs.length < 2) continue;
      // Count 8-connected groups among the neighbours (ring positions within one step of each other).
      const group = nbrs.map((_, i) => i);
      const find = (i: number): number => (group[i] === i ? i : (group[i] = find(group[i])));
      for (let i = 0; i < nbrs.length; i++) {
        for (let j = i + 1; j < nbrs.length; j++) {
          if (Math.abs(nbrs[i][0] - nbrs[j][0]) <= 1 && Math.abs(nbrs[i][1] - nbrs[j][1]) <= 1) group[find(i)] = find(j);
        }
      }
      if (new Set(nbrs.map((_, i) => find(i))).size === 1) img[y * w + x] = 0;
    }
  }
}

/**
 * Length of a one-pixel skeleton in pixels: each pixel counts half the distance to each
 * skeleton neighbour (1 orthogonally, √2 diagonally), so diagonal strokes are not undercounted.
 */
export function skeletonLength(s: Mask): number {
  const { width: w, height: h, data } = s;
  let length = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[y * w + x] === 0) continue;
      let here = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if ((dx === 0 && dy === 0) || nx < 0 || ny < 0 || nx >= w || ny >= h || data[ny * w + nx] === 0) continue;
          here += dx !== 0 && dy !== 0 ? Math.SQRT1_2 : 0.5;
        }
      }
      length += Math.max(here, 0.5); // an isolated dot still has some length
    }
  }
  return length;
}

/**
 * Mean stroke width in pixels as ink area / skeleton length, with the skeleton for reuse.
 *
 * @example
 * strokeWidth(maskOfA10pxWideLine) // { width: ~10, skeleton: Mask }
 */
export function strokeWidth(m: Mask): { width: number; skeleton: Mask } {
  const skeleton = thin(m);
  const length = skeletonLength(skeleton);
  return { width: length > 0 ? inkCount(m) / length : 0, skeleton };
}

/**
 * Redraws ink as a line of `width` px: every ink pixel of `m` (usually a skeleton) stamps a
 * disc of that diameter. Written here rather than with sharp's dilate because sharp's element
 * is a square, which draws diagonal strokes √2 thicker than straight ones.
 */
export function stamp(m: Mask, width: number): Mask {
  const r2 = (width / 2) ** 2;
  const reach = Math.floor(width / 2);
  const offsets: [number, number][] = [];
  for (let dy = -reach; dy <= reach; dy++) for (let dx = -reach; dx <= reach; dx++) if (dx * dx + dy * dy <= r2) offsets.push([dx, dy]);
  const { width: w, height: h } = m;
  const out = new Uint8Array(m.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (m.data[y * w + x] === 0) continue;
      for (const [dx, dy] of offsets) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < w && ny < h) out[ny * w + nx] = 1;
      }
    }
  }
  return { width: w, height: h, data: out };
}

/** Drops 8-connected ink components with fewer than `minPixels` pixels (specks, noise). */
export function removeSmallComponents(m: Mask, minPixels: number): Mask {
  const { width: w, height: h } = m;
  const out = Uint8Array.from(m.data);
  const seen = new Uint8Array(out.length);
  const stack: number[] = [];
  const component: number[] = [];
  for (let start = 0; start < out.length; start++) {
    if (out[start] === 0 || seen[start]) continue;
    stack.push(start);
    seen[start] = 1;
    component.length = 0;
    while (stack.length > 0) {
      const i = stack.pop()!;
      component.push(i);
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const j = ny * w + nx;
          if (out[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    if (component.length < minPixels) for (const i of component) out[i] = 0;
  }
  return { width: w, height: h, data: out };
}

/** Ink as black on white, 3 bytes per pixel. */
export function maskToRgb(m: Mask): Buffer {
  const rgb = Buffer.alloc(m.data.length * 3, 255);
  for (let i = 0; i < m.data.length; i++) if (m.data[i]) rgb.fill(0, i * 3, i * 3 + 3);
  return rgb;
}
