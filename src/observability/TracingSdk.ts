/**
 * The OpenTelemetry SDK and its OTLP/HTTP exporter. Kept apart from `Tracing.ts` and imported
 * only when an endpoint is configured: these packages take about 0.2 s to load, which every
 * process that exports nothing (the default, and every test worker) would otherwise pay.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { SERVICE_NAME, SERVICE_VERSION } from "./ServiceInfo.js"

/** The OpenTelemetry SDK with the given processor(s): the exporter layer and the tests' in-memory one. */
export const tracingWith = (spanProcessor: SpanProcessor, serviceName: string = SERVICE_NAME) =>
  NodeSdk.layer(() => ({ resource: { serviceName, serviceVersion: SERVICE_VERSION }, spanProcessor }))

/** Batched OTLP/HTTP export to `url`. */
export const otlpTracing = (url: string, serviceName: string) =>
  tracingWith(new BatchSpanProcessor(new OTLPTraceExporter({ url })), serviceName)
