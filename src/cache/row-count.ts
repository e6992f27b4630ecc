/** How many IDs of a table have a visible row: base rows, plus overlay IDs that are new, minus those hidden. */

import type { StoreLookup } from './lookup.js';
import type { PartEntry } from './manifest.js';
import type { OverlayLayer } from './overlay.js';
import type { PartIndex } from './part-io.js';
import type { TableParts } from './table-parts.js';
import type { TableVersion } from './table-version.js';

export async function countLiveRows(
  version: TableVersion,
  parts: TableParts,
  overlays: ReadonlyArray<OverlayLayer | undefined>,
  lookup: (ids: readonly string[]) => Promise<StoreLookup>,
): Promise<number> {
  let n = version.m.parts.reduce((s, p) => s + p.rows, 0);
  const ids = new Set<string>();
  for (const o of overlays) if (o) for (const id of o.ids()) ids.add(id);
  if (ids.size === 0) return n;
  const list = [...ids];
  const res = await lookup(list);
  // Overlay IDs found: those not in the base are extra rows; those hidden by a tombstone are fewer.
  const visible = new Set(res.records().map((r) => r['id'] as string));
  // Each part's index is fetched once, then every ID is a Map read.
  const indexes = new Map<PartEntry, PartIndex>();
  for (const id of list) {
    const slot = version.slots.slotOf(id);
    const part = slot === undefined ? undefined : version.bySlot.get(slot);
    let index = part ? indexes.get(part) : undefined;
    if (part && !index) {
      index = await parts.index(part);
      indexes.set(part, index);
    }
    const inBase = index?.rows.has(id) ?? false;
    if (visible.has(id) && !inBase) n++;
    if (!visible.has(id) && inBase) n--;
  }
  return n;
}
