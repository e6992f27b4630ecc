/** A source's answer checked against the batch asked for (normalize-rows.ts). */
import { describe, expect, it } from 'vitest';
import { ColumnNotFoundError, UpstreamFailedError } from '../../src/errors.js';
import { fetchedBatch } from '../../src/fetch/normalize-rows.js';

const batch = { ids: ['1', '2', '3', '007'], columns: ['title'] };

describe('a fetched batch', () => {
  it('keeps the rows asked for (an integer id as its text), ignores others, and lists the IDs not returned', () => {
    const got = fetchedBatch(
      [
        { id: 1, title: 'one' },
        { id: '9', title: 'not asked' },
        { id: '007', title: 'bond' },
        // The same ID twice: both kept, the later one wins when written.
        { id: '1', title: 'one again' },
        { id: '007', title: 'bond again' },
      ],
      batch,
      't',
    );
    expect(got.rows.map((r) => [r['id'], r['title']])).toEqual([
      ['1', 'one'],
      ['007', 'bond'],
      ['1', 'one again'],
      ['007', 'bond again'],
    ]);
    // As many rows as IDs asked for, yet two of them were not returned.
    expect(got.notFound).toEqual(['2', '3']);
    expect(got.columns).toEqual(['title']);
  });

  it('refuses a row without an id, and a row lacking a requested column', () => {
    expect(() => fetchedBatch([{ title: 'x' }], batch, 't')).toThrow(UpstreamFailedError);
    expect(() => fetchedBatch([{ id: '1' }], batch, 't')).toThrow(ColumnNotFoundError);
  });
});
