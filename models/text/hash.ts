import { fmix32 } from '../random.ts';

/**
 * Feature hashing. MurmurHash3 (x86, 32-bit) over the UTF-8 bytes of `namespace:value`, with
 * a fixed seed. Chosen over FNV-1a because its final avalanche spreads similar strings
 * ("char:<ca", "char:<cb") over the low bits that `% dim` keeps; FNV-1a's low bits are
 * visibly clumpy for short keys that differ in one byte. It is a few lines and defined by
 * bytes, so ids are the same on every platform and in every future version of this code.
 * Hand-written because the npm murmur packages hash UTF-16 code units or allocate per call.
 */

/** Any fixed value; changing it changes every id (and so the encoder identity). */
export const hashSeed = 0x5f3759df;
const encoder = new TextEncoder();
let buf = new Uint8Array(256);

function utf8(s: string): number {
  // Worst case 3 bytes per UTF-16 unit; grow the shared buffer instead of allocating per call.
  if (s.length * 3 > buf.length) buf = new Uint8Array(s.length * 3);
  return encoder.encodeInto(s, buf).written;
}

/**
 * MurmurHash3_x86_32 of the UTF-8 encoding of `key`.
 *
 * @example murmur3('hello') // 32-bit unsigned integer, e.g. 3848350155 (seed-dependent)
 */
export function murmur3(key: string, h: number = hashSeed): number {
  const len = utf8(key);
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  h >>>= 0;
  const tail = len & ~3;
  for (let i = 0; i < tail; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= buf[tail + 2] << 16;
    // falls through
    case 2:
      k ^= buf[tail + 1] << 8;
    // falls through
    case 1:
      k ^= buf[tail];
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  h ^= len;
  return fmix32(h);
}

/** The feature namespaces. Each is part of the hashed key, so equal values in two namespaces differ. */
export const namespaces = ['word', 'lemma', 'syn', 'synset', 'hyp', 'bigram', 'char'] as const;
export type Namespace = (typeof namespaces)[number];

/**
 * Id of feature `value` in `namespace`, in [0, dim).
 *
 * @example featureId('lemma', 'dog', 2 ** 18) // e.g. 181734
 */
export function featureId(namespace: Namespace, value: string, dim: number): number {
  return murmur3(`${namespace}:${value}`) % dim;
}
