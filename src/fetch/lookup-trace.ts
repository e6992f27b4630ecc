/**
 * The span of one cache lookup (`cachegate.cache.lookup`): what the store found and what it
 * lacks, before any upstream fetch. Through `@opentelemetry/api` only, a no-op without an SDK.
 */
import { trace } from '@opentelemetry/api';

/** What a lookup found lacking, counted (a survey, windows.ts). */
interface LookupLike {
  missing: number;
  notFound: number;
}

export async function traceLookup<T extends LookupLike>(
  table: string,
  ids: number,
  lookup: () => Promise<T>,
): Promise<T> {
  return trace.getTracer('cachegate').startActiveSpan('cachegate.cache.lookup', async (span) => {
    span.setAttribute('cachegate.table', table);
    span.setAttribute('cachegate.ids', ids);
    try {
      const res = await lookup();
      span.setAttribute('cachegate.missing', res.missing);
      span.setAttribute('cachegate.not_found', res.notFound);
      return res;
    } finally {
      span.end();
    }
  });
}
