/**
 * The span of one upstream batch (`cachegate.upstream.batch`), through `@opentelemetry/api`
 * only: a no-op unless the server registered an SDK (see `server/tracing.ts`). The span is a
 * child of the request that started the job, and at its end it links to every other request
 * that waited for this batch (single-flight), so each of their traces leads to the call that
 * served it.
 */
import { context, type Link, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { PlannedBatch } from './batch-plan.js';

const tracer = () => trace.getTracer('cachegate');

export interface BatchSpan {
  /** Runs the upstream call with the batch span active, so a traced driver nests under it. */
  inside<T>(fn: () => T): T;
  end(error: unknown, joiners: readonly unknown[], attempts: number): void;
}

export function startBatchSpan(table: string, batch: PlannedBatch, number: number): BatchSpan {
  const span: Span = tracer().startSpan('cachegate.upstream.batch', {
    attributes: {
      'cachegate.table': table,
      'cachegate.batch': number,
      'cachegate.ids': batch.ids.length,
      'cachegate.columns': batch.columns.join(','),
    },
  });
  return {
    inside: (fn) => context.with(trace.setSpan(context.active(), span), fn),
    end(error, joiners, attempts) {
      const links: Link[] = [];
      for (const j of joiners) if (isSpanContext(j)) links.push({ context: j });
      if (links.length > 0) span.addLinks(links);
      span.setAttribute('cachegate.attempts', attempts);
      span.setAttribute('cachegate.waiting_requests', links.length);
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      span.end();
    },
  };
}

/** The token a waiting caller leaves on a flight: its active span's context, if it has one. */
export function callerToken(): unknown {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span.spanContext() : undefined;
}

function isSpanContext(v: unknown): v is Link['context'] {
  return typeof v === 'object' && v !== null && 'traceId' in v && 'spanId' in v;
}
