/**
 * Stable placement of IDs into parts. A part owns the IDs whose hash has `key` in its low
 * `depth` bits; splitting a part uses the next bit, so parts always partition the hash space
 * and an ID's part can be found without reading any file.
 */

/** FNV-1a over UTF-16 code units: fast in JS, stable across versions (unlike polars' hash). */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface PartSlot {
  depth: number;
  key: number;
}

export function slotMask(depth: number): number {
  return depth >= 32 ? 0xffffffff : (1 << depth) - 1;
}

export function slotName(slot: PartSlot): string {
  return `${slot.depth}-${slot.key}`;
}

/** Finds, for many IDs, the slot holding each, given the slots that exist. */
export class SlotIndex {
  private readonly depths: number[];
  private readonly names: Set<string>;

  constructor(slots: readonly PartSlot[]) {
    this.depths = [...new Set(slots.map((s) => s.depth))].sort((a, b) => a - b);
    this.names = new Set(slots.map(slotName));
  }

  slotOf(id: string): string | undefined {
    if (this.depths.length === 1 && this.depths[0] === 0) return '0-0';
    const h = hashId(id);
    for (const d of this.depths) {
      const name = `${d}-${(h & slotMask(d)) >>> 0}`;
      if (this.names.has(name)) return name;
    }
    return undefined;
  }

  /** Groups IDs by the slot that holds them; IDs of slots not yet created go under `undefined`. */
  group(ids: readonly string[]): Map<string | undefined, readonly string[]> {
    // One part holds every ID: no hashing.
    if (this.depths.length === 1 && this.depths[0] === 0) return new Map([['0-0', ids]]);
    const out = new Map<string | undefined, string[]>();
    for (const id of ids) {
      const slot = this.slotOf(id);
      const list = out.get(slot);
      if (list) list.push(id);
      else out.set(slot, [id]);
    }
    return out;
  }
}
