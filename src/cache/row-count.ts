/** How many IDs of a table have a visible row: base rows, plus overlay IDs that are new, minus those hidden. */

import type { StoreLookup } from './lookup.js';
import type { OverlayLayer } from './overlay.js';
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
  // Which of them the base holds: one probe per part, through its index when held, else through
  // its ID column; no part is read into memory for a count.
  const inBase = new Set<string>();
  for (const [slot, slotIds] of version.slots.group(list)) {
    const part = slot === undefined ? undefined : version.bySlot.get(slot);
    if (part) for (const id of await parts.present(part, slotIds)) inBase.add(id);
  }
  for (const id of list) {
    const base = inBase.has(id);
    if (visible.has(id) && !base) n++;
    if (!visible.has(id) && base) n--;
  }
  return n;
}
