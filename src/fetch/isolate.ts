/**
 * Isolating the IDs that fail a batch. A batch is one upstream call, so one poisoned ID (a row
 * the upstream cannot serialise, a value a proxy rejects) failed every ID batched with it — other
 * fields, aliases and requests merged into the same lookup included. After the batch has used
 * its retries, it is split in halves, each tried once; the half that fails is split again, so one
 * bad ID among n costs about 2·log2(n) extra calls. When both halves fail the fault is not one
 * ID's but the upstream's (down, overloaded): probing stops there, so a dead upstream costs at
 * most two extra calls per batch.
 */
import { isCacheGateError } from '../errors.js';
import type { PlannedBatch } from './batch-plan.js';
import { TimeoutError } from './retry.js';

export interface Isolated<T> {
  fetched: Array<{ batch: PlannedBatch; result: T }>;
  failed: Array<{ batch: PlannedBatch; error: unknown }>;
}

// Failures that say nothing about the IDs: splitting would only repeat them.
const WHOLE_UPSTREAM_REASONS = new Set(['CIRCUIT_OPEN', 'TIMEOUT', 'TYPE_CONFLICT']);

function worthSplitting(batch: PlannedBatch, error: unknown, signal: AbortSignal): boolean {
  if (batch.ids.length < 2 || signal.aborted || error instanceof TimeoutError) return false;
  if (!isCacheGateError(error)) return true;
  const reason = error.details['reason'];
  return (
    error.code === 'UPSTREAM_FAILED' && !(typeof reason === 'string' && WHOLE_UPSTREAM_REASONS.has(reason))
  );
}

export async function isolateFailure<T>(
  batch: PlannedBatch,
  error: unknown,
  fetchOnce: (part: PlannedBatch) => Promise<T>,
  signal: AbortSignal,
): Promise<Isolated<T>> {
  const out: Isolated<T> = { fetched: [], failed: [] };
  if (!worthSplitting(batch, error, signal)) {
    out.failed.push({ batch, error });
    return out;
  }
  const middle = Math.ceil(batch.ids.length / 2);
  const halves = [batch.ids.slice(0, middle), batch.ids.slice(middle)].map((ids) => ({
    ids,
    columns: batch.columns,
  }));
  // One half after the other, as batches run: probing must not double the upstream's load.
  const settled: Array<PromiseSettledResult<T>> = [];
  for (const half of halves) {
    try {
      settled.push({ status: 'fulfilled', value: await fetchOnce(half) });
    } catch (reason) {
      settled.push({ status: 'rejected', reason });
    }
  }
  if (settled.every((s) => s.status === 'rejected')) {
    out.failed.push({ batch, error });
    return out;
  }
  for (const [i, s] of settled.entries()) {
    const half = halves[i]!;
    if (s.status === 'fulfilled') {
      out.fetched.push({ batch: half, result: s.value });
    } else {
      const inner = await isolateFailure(half, s.reason, fetchOnce, signal);
      out.fetched.push(...inner.fetched);
      out.failed.push(...inner.failed);
    }
  }
  return out;
}
