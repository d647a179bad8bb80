/**
 * The delivery worker: sends due webhook deliveries, one at a time per subscription, up to
 * `WEBHOOK_CONCURRENCY` subscriptions at once per process, and records every attempt.
 *
 * - It leases the head of each subscription's queue (WebhookRepository.claimDue) for the
 *   attempt's bound plus a margin; a worker killed mid-attempt leaves the lease to run out, and
 *   the delivery is sent again (at least once).
 * - Each call goes through its endpoint's circuit breaker (HttpBreaker.ts): while it is open a
 *   delivery is not tried and costs no attempt; it waits, with its subscription's queue behind
 *   it, until the breaker lets a trial through.
 * - Failures are retried on the named schedule (`WEBHOOK_RETRY_*`), or after the receiver's
 *   `Retry-After`; a 410 disables the subscription at once, and so does failing for
 *   `WEBHOOK_DISABLE_AFTER` (Verdict.ts says what each answer means).
 * - Shutdown stops claiming and lets attempts in flight finish within their bound.
 */
import { HttpClientRequest } from "@effect/platform"
import { Clock, DateTime, Duration, Effect, Either, FiberSet, Layer, Metric, Option, Schedule } from "effect"
import { WebhookConfig } from "../config/WebhookConfig.js"
import { DeliveryAttempt, type WebhookId } from "../domain/Webhook.js"
import { type AttemptResult, type DueDelivery, WebhookRepository } from "../repositories/WebhookRepository.js"
import { CircuitOpenError, type CircuitState } from "../resilience/CircuitBreaker.js"
import { makeHttpBreakers } from "../resilience/HttpBreaker.js"
import { backoff, delayOfRetry, webhookRetry } from "../resilience/RetrySchedules.js"
import { WebhookService } from "../services/WebhookService.js"
import { exchange, makeOutboundClient } from "./OutboundHttp.js"
import { signatureHeader } from "./Signature.js"
import { judgeStatus, statusClass, type Verdict } from "./Verdict.js"
import { webhookAttemptDuration, webhookBreakers, webhookDeliveries, webhookDisabled, webhookPending, webhookSubscriptions } from "./WebhookMetrics.js"
import { WebhookWake } from "./WebhookWake.js"

const USER_AGENT = "Flowboard-Webhooks/1"
const STATS_EVERY = Duration.seconds(15)
/** A receiver's `Retry-After` is honoured up to a day: beyond that it reads as "never", which is what 410 is for. */
const MAX_RETRY_AFTER = Duration.hours(24)

const count = (outcome: string, status: number | null) =>
  Metric.increment(Metric.tagged(Metric.tagged(webhookDeliveries, "outcome", outcome), "status_class", statusClass(status)))

export const DeliveryWorkerLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const settings = yield* WebhookConfig
    const repository = yield* WebhookRepository
    const service = yield* WebhookService
    const wake = yield* WebhookWake
    const client = yield* makeOutboundClient({ allow: settings.allowedHosts, connectTimeout: settings.connectTimeout })
    const breakers = yield* makeHttpBreakers({
      window: { kind: "count", size: settings.breaker.windowSize },
      minimumCalls: settings.breaker.minimumCalls,
      failureRateThreshold: settings.breaker.failureRate,
      slowCallDuration: settings.breaker.slowCall,
      slowCallRateThreshold: settings.breaker.slowCallRate,
      waitInOpen: settings.breaker.waitInOpen,
      halfOpenCalls: settings.breaker.halfOpenCalls
    })
    const guarded = breakers.wrap(client)
    const schedule = backoff({ base: settings.retryBase, cap: settings.retryCap, factor: webhookRetry.factor ?? 2, maxRetries: settings.maxAttempts - 1, jitter: "equal" })
    const lease = Duration.sum(settings.timeout, Duration.seconds(5))
    /** Where each subscription this worker served points, for the breaker gauge. */
    const endpoints = new Map<WebhookId, string>()

    /** Failing: since when (set on the first failure), and disabled once that is `WEBHOOK_DISABLE_AFTER` ago. */
    const failing = (due: DueDelivery, now: DateTime.Utc, error: string) => {
      const webhook = due.subscription.webhook
      if (webhook.failingSince === null) return repository.setFailingSince(webhook.id, now)
      const over = Duration.greaterThanOrEqualTo(DateTime.distanceDuration(webhook.failingSince, now), settings.disableAfter)
      if (!over) return Effect.void
      const reason = `failing since ${DateTime.formatIso(webhook.failingSince)} (WEBHOOK_DISABLE_AFTER): ${error}`
      return Effect.flatMap(service.disable(webhook.id, reason), (done) => (done ? Metric.increment(Metric.tagged(webhookDisabled, "reason", "failing")) : Effect.void))
    }

    const next = (verdict: Verdict, made: number, end: DateTime.Utc): Effect.Effect<AttemptResult> => {
      if (verdict._tag === "Delivered") return Effect.succeed({ _tag: "Finished", status: "delivered", at: end })
      // Gone: kept pending for an owner who re-enables the subscription (it is disabled now).
      if (verdict._tag === "Gone") return Effect.succeed({ _tag: "Retry", at: end })
      if (made >= settings.maxAttempts) return Effect.succeed({ _tag: "Finished", status: "failed", at: end })
      const asked = Option.map(verdict.retryAfter, (wait) => Duration.clamp(wait, { minimum: Duration.seconds(1), maximum: MAX_RETRY_AFTER }))
      return Effect.map(
        Option.isSome(asked) ? Effect.succeed(asked) : delayOfRetry(schedule, made - 1),
        Option.match({
          onNone: (): AttemptResult => ({ _tag: "Finished", status: "failed", at: end }),
          onSome: (delay): AttemptResult => ({ _tag: "Retry", at: DateTime.addDuration(end, delay) })
        })
      )
    }

    const attempt = Effect.fn("DeliveryWorker.attempt")(function* (due: DueDelivery) {
      const { secret, previousSecret, webhook } = due.subscription
      yield* Effect.annotateCurrentSpan({ "webhook.id": webhook.id, "webhook.delivery": due.id, "webhook.event_type": due.eventType })
      endpoints.set(webhook.id, webhook.url)
      const startMs = yield* Clock.currentTimeMillis
      const started = DateTime.unsafeMake(startMs)
      const secrets = previousSecret !== null && webhook.previousSecretExpiresAt !== null && DateTime.greaterThan(webhook.previousSecretExpiresAt, started)
        ? [secret, previousSecret]
        : [secret]
      const timestamp = Math.floor(startMs / 1000)
      const request = HttpClientRequest.post(webhook.url).pipe(
        HttpClientRequest.setHeaders({
          "webhook-id": due.eventId,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signatureHeader(secrets, due.eventId, timestamp, due.body),
          "user-agent": USER_AGENT
        }),
        HttpClientRequest.bodyText(due.body, "application/json")
      )
      const outcome = yield* Effect.either(exchange(guarded, request, { timeout: settings.timeout, maxBodyBytes: settings.responseMaxBytes }))
      const endMs = yield* Clock.currentTimeMillis
      const ended = DateTime.unsafeMake(endMs)

      if (Either.isLeft(outcome) && outcome.left instanceof CircuitOpenError) {
        // Not tried: no attempt is spent; the queue waits for the breaker's trial.
        yield* repository.defer(due.id, DateTime.addDuration(ended, outcome.left.retryAfter))
        yield* count("deferred", null)
        if (webhook.failingSince !== null) yield* failing(due, ended, outcome.left.message)
        return Option.none<DueDelivery>()
      }
      const answer = Either.getRight(outcome)
      const verdict: Verdict = Either.isRight(outcome)
        ? judgeStatus(outcome.right.status, outcome.right.headers["retry-after"], endMs)
        : { _tag: "Failed", error: outcome.left.message, retryAfter: Option.none() }
      const made = due.attempts + 1
      const result = yield* next(verdict, made, ended)
      const status = Option.match(answer, { onNone: () => null, onSome: (a) => a.status })
      const successor = yield* repository.recordAttempt(
        due.id,
        new DeliveryAttempt({
          attempt: made,
          startedAt: started,
          durationMs: Math.max(0, Math.round(endMs - startMs)),
          statusCode: status,
          responseBody: Option.match(answer, { onNone: () => null, onSome: (a) => a.body }),
          error: verdict._tag === "Delivered" ? null : verdict.error,
          success: verdict._tag === "Delivered"
        }),
        result,
        stopping ? undefined : { webhookId: webhook.id, now: ended, until: DateTime.addDuration(ended, lease) }
      )
      yield* webhookAttemptDuration(Effect.succeed((endMs - startMs) / 1000))
      const label = verdict._tag === "Delivered" ? "delivered" : verdict._tag === "Gone" ? "gone" : result._tag === "Retry" ? "retrying" : "failed"
      yield* count(label, status)

      if (verdict._tag === "Delivered") {
        if (webhook.failingSince !== null) yield* repository.setFailingSince(webhook.id, null)
        return successor
      }
      yield* Effect.logDebug(`webhook delivery attempt ${made} failed: ${verdict.error}`).pipe(Effect.annotateLogs({ webhookId: webhook.id, deliveryId: due.id }))
      if (result._tag === "Finished") {
        yield* Effect.logWarning(`webhook delivery given up after ${made} attempts: ${verdict.error}`).pipe(
          Effect.annotateLogs({ webhookId: webhook.id, deliveryId: due.id, eventId: due.eventId })
        )
      }
      if (verdict._tag === "Gone") {
        const done = yield* service.disable(webhook.id, verdict.error)
        if (done) yield* Metric.increment(Metric.tagged(webhookDisabled, "reason", "gone"))
        return successor
      }
      yield* failing(due, ended, verdict.error)
      return successor
    })

    /**
     * An attempt, then, while the subscription's queue goes on, the next: each delivery finished
     * leases its successor in the statement that records it. On shutdown a leased successor is
     * handed back at once rather than left to its lease.
     */
    const chain = (due: DueDelivery): Effect.Effect<void> =>
      attempt(due).pipe(
        Effect.catchAllCause((cause) =>
          Effect.as(Effect.logWarning("webhooks: an attempt could not be recorded; its lease will run out and it is sent again", cause), Option.none<DueDelivery>())
        ),
        Effect.flatMap(Option.match({
          onNone: () => Effect.void,
          onSome: (next) =>
            stopping
              ? Effect.flatMap(DateTime.now, (now) => Effect.ignore(repository.defer(next.id, now)))
              : chain(next)
        }))
      )

    const stats = Effect.gen(function* () {
      const counts = yield* repository.counts
      yield* Metric.set(Metric.tagged(webhookSubscriptions, "state", "active"), counts.active)
      yield* Metric.set(Metric.tagged(webhookSubscriptions, "state", "disabled"), counts.disabled)
      yield* Metric.set(webhookPending, counts.pending)
      const states: Record<CircuitState, number> = { closed: 0, "half-open": 0, open: 0 }
      for (const url of endpoints.values()) states[yield* breakers.stateOf(url)] += 1
      for (const [state, n] of Object.entries(states)) yield* Metric.set(Metric.tagged(webhookBreakers, "state", state), n)
    }).pipe(Effect.catchAll((error) => Effect.logWarning("webhooks: could not read the subscription counts", error.message)))

    const attempts = yield* FiberSet.make<void>()
    let inFlight = 0
    let stopping = false

    /**
     * Leases what is due, as far as there is room, and starts an attempt on each: how many, and
     * whether there was room for no more (then more may be due). Fewer than there was room for
     * means every due head is taken; the next become heads when these finish, which wakes the loop.
     */
    const claim = Effect.gen(function* () {
      const room = settings.concurrency - inFlight
      if (room <= 0 || stopping) return { count: 0, full: false }
      const now = yield* DateTime.now
      const due = yield* repository.claimDue(now, DateTime.addDuration(now, lease), room).pipe(
        Effect.catchAll((error) => Effect.as(Effect.logWarning("webhooks: could not claim due deliveries", error.message), []))
      )
      for (const delivery of due) {
        inFlight += 1
        yield* FiberSet.run(
          attempts,
          chain(delivery).pipe(Effect.ensuring(Effect.zipRight(Effect.sync(() => (inFlight -= 1)), wake.notify)))
        )
      }
      return { count: due.length, full: due.length === room }
    })

    const loop = Effect.gen(function* () {
      let recheck = false
      for (;;) {
        if (stopping) return
        const { count, full } = yield* claim
        if (full) continue
        // Woken with nothing in flight is news from elsewhere (the event handler, an owner), which
        // can come before the commit that makes the delivery visible: look once more shortly after.
        if (recheck && count === 0) {
          recheck = false
          yield* Effect.sleep(Duration.millis(25))
          continue
        }
        const woken = yield* wake.wait(settings.pollInterval)
        recheck = woken && inFlight === 0
      }
    })

    yield* Effect.forkScoped(Effect.repeat(stats, Schedule.spaced(STATS_EVERY)))
    yield* Effect.forkScoped(loop)
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        stopping = true
        yield* Effect.sleep(Duration.millis(20)).pipe(Effect.repeat({ while: () => inFlight > 0 }), Effect.timeoutOption(Duration.sum(settings.timeout, Duration.seconds(1))))
      })
    )
  })
)
