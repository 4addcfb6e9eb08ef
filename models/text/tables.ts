/**
 * Flat tables that load in milliseconds: one string plus an offsets array instead of 100k
 * small strings or object keys (JSON.parse of WordNet's 155k index keys as an object took
 * ~0.5 s; these parse as a handful of long strings). Rows are sliced out on demand.
 */

/** Rows of text, stored as one string with row start offsets. */
export class StringTable {
  constructor(
    readonly text: string,
    /** offsets[i] is where row i starts; offsets[size] is text.length + 1. */
    readonly offsets: Uint32Array,
  ) {}

  static from(rows: readonly string[]): StringTable {
    const offsets = new Uint32Array(rows.length + 1);
    let at = 0;
    rows.forEach((r, i) => {
      offsets[i] = at;
      at += r.length + 1;
    });
    offsets[rows.length] = at;
    return new StringTable(rows.join('\n'), offsets);
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  get(i: number): string {
    return this.text.slice(this.offsets[i], this.offsets[i + 1] - 1);
  }

  /** Row number of `key` in a table sorted by `<`, or -1. */
  find(key: string): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const row = this.get(mid);
      if (row === key) return mid;
      if (row < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** A list of integer lists (compressed sparse rows). */
export class IntLists {
  constructor(
    readonly offsets: Uint32Array,
    readonly values: Uint32Array,
  ) {}

  static from(lists: readonly (readonly number[])[]): IntLists {
    const offsets = new Uint32Array(lists.length + 1);
    let n = 0;
    lists.forEach((l, i) => {
      offsets[i] = n;
      n += l.length;
    });
    offsets[lists.length] = n;
    const values = new Uint32Array(n);
    let at = 0;
    for (const l of lists) for (const v of l) values[at++] = v;
    return new IntLists(offsets, values);
  }

  get(i: number): Uint32Array {
    return this.values.subarray(this.offsets[i], this.offsets[i + 1]);
  }
}

export interface StringTableJson {
  text: string;
  offsets: string;
}
export interface IntListsJson {
  offsets: string;
  values: string;
}

// Typed arrays go to JSON as base64 of their little-endian bytes (every platform Node runs on).
function toBase64(a: Uint32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64(s: string): Uint32Array {
  const bytes = Buffer.from(s, 'base64');
  // Copy: a Buffer may sit at an offset that is not 4-byte aligned.
  const out = new Uint32Array(bytes.byteLength >>> 2);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export const tableJson = {
  fromStrings: (t: StringTable): StringTableJson => ({ text: t.text, offsets: toBase64(t.offsets) }),
  toStrings: (j: StringTableJson): StringTable => new StringTable(j.text, fromBase64(j.offsets)),
  fromInts: (t: IntLists): IntListsJson => ({ offsets: toBase64(t.offsets), values: toBase64(t.values) }),
  toInts: (j: IntListsJson): IntLists => new IntLists(fromBase64(j.offsets), fromBase64(j.values)),
};
