/**
 * OpenTelemetry tracing, off unless asked for: with `OTEL_EXPORTER_OTLP_ENDPOINT` set (or an
 * exporter handed in, as tests do) the SDK is imported and registered globally, and spans go
 * out over OTLP/HTTP. Without it nothing of the SDK is loaded: the `@opentelemetry/api` calls in
 * the engine, loaders and `use-tracing.ts` stay no-ops.
 */
import { context, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  /** Exports what is buffered, then unregisters. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Use this exporter (spans exported one by one, at once) instead of OTLP. */
  exporter?: SpanExporter;
}

export async function startTracing(
  env: Readonly<Record<string, string | undefined>>,
  options: TracingOptions = {},
): Promise<Tracing | undefined> {
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (!endpoint && options.exporter === undefined) return undefined;
  const [
    { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor },
    { AsyncLocalStorageContextManager },
    { resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
  ]);
  let processor: InstanceType<typeof BatchSpanProcessor> | InstanceType<typeof SimpleSpanProcessor>;
  if (options.exporter) processor = new SimpleSpanProcessor(options.exporter);
  else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and _HEADERS itself.
    processor = new BatchSpanProcessor(new OTLPTraceExporter());
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] || 'cachegate' }),
    spanProcessors: [processor],
  });
  // Spans started in a resolver must see the request's span as their parent across awaits.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
