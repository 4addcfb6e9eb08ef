/**
 * Binary stroke masks (1 = ink, 0 = paper, row-major) and the few shape operations sketches
 * need. sharp has dilate/erode but no thinning, connected components or bounding box, so those
 * are written here; each is a linear or near-linear pass over a few hundred thousand pixels.
 *
 * These run once per indexed sketch and per sketch query, so they are written for speed:
 * neighbourhood work goes through a copy of the mask with a one-pixel paper border (no bounds
 * checks) and 256-entry tables indexed by the 8 neighbours' bits, built once from the plain
 * rules below. mask.reference.ts keeps the plain versions; mask.test.ts checks that both give
 * the same bits.
 */
import sharp from 'sharp';

export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function inkCount(m: Mask): number {
  const d = m.data;
  let n = 0;
  for (let i = 0; i < d.length; i++) n += d[i];
  return n;
}

/** The smallest box holding every ink pixel, or null for an empty mask. */
export function boundingBox(m: Mask): Box | null {
  const { width: w, height: h, data } = m;
  let left = w;
  let right = -1;
  let top = h;
  let bottom = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let first = -1;
    let last = -1;
    for (let x = 0; x < w; x++) {
      if (data[row + x] === 0) continue;
      if (first < 0) first = x;
      last = x;
    }
    if (first < 0) continue;
    if (first < left) left = first;
    if (last > right) right = last;
    if (top > y) top = y;
    bottom = y;
  }
  return right < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * The 8-neighbourhood as bits: bit i is ring position i, clockwise from north (Zhang-Suen's
 * p2..p9). `ring` holds (dx, dy) per bit.
 */
const ring: readonly (readonly [number, number])[] = [[0, -1], [1, -1], [1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1]];

/** A mask copied into a (w+2) x (h+2) buffer with a paper border, so neighbours need no bounds checks. */
function padded(m: Mask): Uint8Array {
  const { width: w, height: h, data } = m;
  const pw = w + 2;
  const out = new Uint8Array(pw * (h + 2));
  for (let y = 0; y < h; y++) out.set(data.subarray(y * w, y * w + w), (y + 1) * pw + 1);
  return out;
}

function unpadded(img: Uint8Array, w: number, h: number): Uint8Array {
  const pw = w + 2;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) out.set(img.subarray((y + 1) * pw + 1, (y + 1) * pw + 1 + w), y * w);
  return out;
}

/** Index offsets of the ring positions in a padded buffer of row length `pw`. */
const ringOffsets = (pw: number): Int32Array => Int32Array.from(ring, ([dx, dy]) => dy * pw + dx);

/** The ring's bits around padded index `i`, with `o` from ringOffsets. */
function neighbourBits(img: Uint8Array, i: number, o: Int32Array): number {
  return img[i + o[0]] | (img[i + o[1]] << 1) | (img[i + o[2]] << 2) | (img[i + o[3]] << 3) |
    (img[i + o[4]] << 4) | (img[i + o[5]] << 5) | (img[i + o[6]] << 6) | (img[i + o[7]] << 7);
}

const bitsOf = (pattern: number): number[] => ring.map((_, i) => (pattern >> i) & 1);

/** Zhang-Suen's deletion rule per sub-pass, for each neighbourhood. */
const zhangSuen: readonly Uint8Array[] = [0, 1].map((pass) =>
  Uint8Array.from({ length: 256 }, (_, pattern) => {
    const p = bitsOf(pattern);
    const b = p.reduce((s, v) => s + v, 0);
    if (b < 2 || b > 6) return 0;
    let a = 0;
    for (let i = 0; i < 8; i++) if (p[i] === 0 && p[(i + 1) % 8] === 1) a++;
    if (a !== 1) return 0;
    const [n, , e, , s, , west] = p;
    return (pass === 0 ? n * e * s === 0 && e * s * west === 0 : n * e * west === 0 && n * s * west === 0) ? 1 : 0;
  }),
);

/** pruneStaircases' rule: 2+ ink neighbours forming one 8-connected group without the centre. */
const staircase = Uint8Array.from({ length: 256 }, (_, pattern) => {
  const nbrs = ring.filter((_, i) => (pattern >> i) & 1);
  if (nbrs.length < 2) return 0;
  const group = nbrs.map((_, i) => i);
  const find = (i: number): number => (group[i] === i ? i : (group[i] = find(group[i])));
  for (let i = 0; i < nbrs.length; i++) {
    for (let j = i + 1; j < nbrs.length; j++) {
      if (Math.abs(nbrs[i][0] - nbrs[j][0]) <= 1 && Math.abs(nbrs[i][1] - nbrs[j][1]) <= 1) group[find(i)] = find(j);
    }
  }
  return new Set(nbrs.map((_, i) => find(i))).size === 1 ? 1 : 0;
});

/**
 * Zhang-Suen thinning: peels boundary pixels in two alternating sub-passes until only a
 * one-pixel-wide, 8-connected skeleton is left, keeping the strokes' topology.
 */
export function thin(m: Mask): Mask {
  const { width: w, height: h } = m;
  const img = padded(m);
  const o = ringOffsets(w + 2);
  let ink = 0;
  for (let i = 0; i < img.length; i++) ink += img[i];
  // Whether a pixel goes depends only on its neighbours, and they only ever lose ink; so after
  // a sub-pass has kept a pixel, the next sub-pass of that kind keeps it again unless a
  // neighbour was deleted in between. Each kind of sub-pass therefore looks only at a queue
  // of such pixels (all ink at first). The result is that of scanning every pixel every time:
  // deletions are still marked first and applied after the sub-pass.
  const queue = [new Int32Array(ink), new Int32Array(ink)];
  const queued = [new Uint8Array(img.length), new Uint8Array(img.length)];
  const queueLength = [0, 0];
  for (let i = 0; i < img.length; i++) {
    if (img[i] === 0) continue;
    queue[0][queueLength[0]++] = i;
    queue[1][queueLength[1]++] = i;
  }
  queued[0].set(img);
  queued[1].set(img);
  let work = new Int32Array(ink);
  const remove = new Int32Array(ink);
  for (let changed = true; changed; ) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      const rule = zhangSuen[pass];
      const isQueued = queued[pass];
      // Take this kind's queue; what the deletions below queue is for its next sub-pass.
      const length = queueLength[pass];
      const taken = queue[pass];
      queue[pass] = work;
      work = taken;
      queueLength[pass] = 0;
      let removed = 0;
      for (let k = 0; k < length; k++) {
        const i = taken[k];
        isQueued[i] = 0;
        if (img[i] !== 0 && rule[neighbourBits(img, i, o)]) remove[removed++] = i;
      }
      if (removed === 0) continue;
      changed = true;
      for (let k = 0; k < removed; k++) img[remove[k]] = 0;
      const [queue0, queue1] = queue;
      const [queued0, queued1] = queued;
      let length0 = queueLength[0];
      let length1 = queueLength[1];
      for (let k = 0; k < removed; k++) {
        for (let r = 0; r < 8; r++) {
          const j = remove[k] + o[r];
          if (img[j] === 0) continue;
          if (queued0[j] === 0) {
            queued0[j] = 1;
            queue0[length0++] = j;
          }
          if (queued1[j] === 0) {
            queued1[j] = 1;
            queue1[length1++] = j;
          }
        }
      }
      queueLength[0] = length0;
      queueLength[1] = length1;
    }
  }
  pruneStaircases(img, o);
  return { width: w, height: h, data: unpadded(img, w, h) };
}

/**
 * Zhang-Suen leaves 4-connected staircases on slanted strokes (a pixel at each step that an
 * 8-connected line does not need). A pixel is dropped when it has 2+ ink neighbours that stay
 * 8-connected among themselves without it, so lines keep their ends, junctions and loops.
 * Deletes in place in scan order, so later pixels see earlier deletions. `img` is padded.
 */
function pruneStaircases(img: Uint8Array, o: Int32Array): void {
  for (let i = 0; i < img.length; i++) if (img[i] !== 0 && staircase[neighbourBits(img, i, o)]) img[i] = 0;
}

/**
 * Each skeleton pixel's length for each neighbourhood: half the distance to each neighbour
 * (1 orthogonally, √2 diagonally), summed row by row from the top left so that the floating
 * point sums are the same as adding them up pixel by pixel.
 */
const pixelLength = Float64Array.from({ length: 256 }, (_, pattern) => {
  let here = 0;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      if (dx === 0 && dy === 0) continue;
      const bit = ring.findIndex(([rx, ry]) => rx === dx && ry === dy);
      if (((pattern >> bit) & 1) === 0) continue;
      here += dx !== 0 && dy !== 0 ? Math.SQRT1_2 : 0.5;
    }
  }
  return Math.max(here, 0.5); // an isolated dot still has some length
});

/**
 * Length of a one-pixel skeleton in pixels: each pixel counts half the distance to each
 * skeleton neighbour (1 orthogonally, √2 diagonally), so diagonal strokes are not undercounted.
 */
export function skeletonLength(s: Mask): number {
  const img = padded(s);
  const o = ringOffsets(s.width + 2);
  let length = 0;
  for (let i = 0; i < img.length; i++) if (img[i]) length += pixelLength[neighbourBits(img, i, o)];
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
  const dxs: number[] = [];
  const dys: number[] = [];
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      if (dx * dx + dy * dy > r2) continue;
      dxs.push(dx);
      dys.push(dy);
    }
  }
  const { width: w, height: h } = m;
  const offsets = Int32Array.from(dxs, (dx, k) => dys[k] * w + dx);
  const out = new Uint8Array(m.data.length);
  for (let y = 0; y < h; y++) {
    const clear = y >= reach && y < h - reach;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (m.data[i] === 0) continue;
      if (clear && x >= reach && x < w - reach) {
        for (let k = 0; k < offsets.length; k++) out[i + offsets[k]] = 1;
        continue;
      }
      // Near the border: clip the disc.
      for (let k = 0; k < dxs.length; k++) {
        const nx = x + dxs[k];
        const ny = y + dys[k];
        if (nx >= 0 && ny >= 0 && nx < w && ny < h) out[ny * w + nx] = 1;
      }
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Morphological closing with sharp (dilate, then erode; a (2r+1)-square element): joins ink
 * less than 2r px apart. sharp's morphology treats dark pixels as foreground, so ink is 0 on 255.
 */
export async function close(m: Mask, radius: number): Promise<Mask> {
  if (radius < 1) return m;
  const grey = Buffer.alloc(m.data.length);
  for (let i = 0; i < grey.length; i++) grey[i] = m.data[i] ? 0 : 255;
  const raw = { width: m.width, height: m.height, channels: 1 as const };
  // Two pipelines: sharp applies at most one dilate and one erode per pipeline, in its own order.
  const grown = await sharp(grey, { raw }).dilate(radius).toColourspace('b-w').raw().toBuffer();
  const closed = await sharp(grown, { raw }).erode(radius).toColourspace('b-w').raw().toBuffer();
  const data = new Uint8Array(m.data.length);
  for (let i = 0; i < data.length; i++) data[i] = closed[i] < 128 ? 1 : 0;
  return { width: m.width, height: m.height, data };
}

/** Drops 8-connected ink components with fewer than `minPixels` pixels (specks, noise). */
export function removeSmallComponents(m: Mask, minPixels: number): Mask {
  const { width: w, height: h, data } = m;
  // Two scans with union-find (a flood fill jumps around memory, this reads it in order): the
  // first labels each ink pixel, joining labels across its already-scanned neighbours
  // (W, NW, N, NE); the second keeps pixels whose component is big enough.
  const label = new Int32Array(w * h); // 0 = paper
  // A new label needs paper at W, NW, N and NE, so new labels are 2+ px apart: at most one per
  // 2 x 2 block. Roots are always the smaller label, so parent[l] <= l.
  const parent = new Int32Array(((w + 1) >> 1) * ((h + 1) >> 1) + 1);
  let labels = 1;
  // Component sizes are kept at the roots as they grow, so one more scan decides each pixel.
  const size = new Int32Array(parent.length);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  const join = (a: number, b: number): number => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return ra;
    const root = ra < rb ? ra : rb;
    const child = ra + rb - root;
    parent[child] = root;
    size[root] += size[child];
    return root;
  };
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (data[i] === 0) continue;
      const west = x > 0 ? label[i - 1] : 0;
      const north = y > 0 ? label[i - w] : 0;
      const northWest = x > 0 && y > 0 ? label[i - w - 1] : 0;
      const northEast = x < w - 1 && y > 0 ? label[i - w + 1] : 0;
      // N touches every other earlier neighbour, and W already joined NW; so only NE needs
      // joining, to W or NW, when N is paper.
      let l = north || west || northWest;
      if (north === 0 && northEast !== 0) l = l === 0 ? northEast : join(l, northEast);
      if (l === 0) {
        l = labels++;
        parent[l] = l;
      }
      label[i] = l;
      size[find(l)]++;
    }
  }
  for (let l = 1; l < labels; l++) parent[l] = parent[parent[l]];
  const out = new Uint8Array(w * h);
  for (let i = 0; i < label.length; i++) out[i] = label[i] !== 0 && size[parent[label[i]]] >= minPixels ? 1 : 0;
  return { width: w, height: h, data: out };
}

/** Ink as black on white, 3 bytes per pixel. */
export function maskToRgb(m: Mask): Buffer {
  const rgb = Buffer.alloc(m.data.length * 3, 255);
  for (let i = 0, j = 0; i < m.data.length; i++, j += 3) {
    if (m.data[i] === 0) continue;
    rgb[j] = 0;
    rgb[j + 1] = 0;
    rgb[j + 2] = 0;
  }
  return rgb;
}
