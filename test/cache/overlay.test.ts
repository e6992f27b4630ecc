import { describe, expect, it } from 'vitest';
import { Overlay, type OverlayRow } from '../../src/cache/overlay.js';

const row = (v: string, at: number): OverlayRow => ({ values: { v }, at: { v: at } });
const ids = (o: Overlay): string[] => (o.idFrame().getColumn('id').toArray() as string[]).sort();

describe('Overlay.idFrame', () => {
  it('holds every ID once, and appends the IDs added after it was built', () => {
    const o = new Overlay();
    o.add('a', row('1', 1));
    o.add('b', row('1', 1));
    expect(ids(o)).toEqual(['a', 'b']);
    // A merged row adds no ID; new ones are appended to the frame already built.
    o.add('a', row('2', 2));
    o.add('c', row('1', 1));
    expect(ids(o)).toEqual(['a', 'b', 'c']);
    expect(o.get('a')?.values).toEqual({ v: '2' });
    // Unchanged: the same frame.
    expect(o.idFrame()).toBe(o.idFrame());
  });

  it('stays in few chunks however many small appends it took', () => {
    const o = new Overlay();
    o.add('0', row('x', 1));
    o.idFrame();
    for (let i = 1; i <= 100; i++) {
      o.add(String(i), row('x', 1));
      o.idFrame();
    }
    expect(o.idFrame().nChunks()).toBeLessThanOrEqual(16);
    expect(ids(o)).toEqual(Array.from({ length: 101 }, (_, i) => String(i)).sort());
  });

  it('includes the rows of another overlay added whole', () => {
    const o = new Overlay();
    o.add('a', row('1', 1));
    o.idFrame();
    const other = new Overlay();
    other.add('a', row('2', 2));
    other.add('z', row('2', 2));
    o.addAll(other);
    expect(ids(o)).toEqual(['a', 'z']);
  });
});
