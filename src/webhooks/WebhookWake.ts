import { type Duration, Effect, Option, Queue } from "effect"

/**
 * Tells this process's delivery worker that deliveries may be due (the event handler recorded
 * some, an owner asked for a ping or a redelivery, an attempt finished), so it does not wait
 * for its next poll. Losing a wake-up costs at most `WEBHOOK_POLL_INTERVAL`: the worker polls
 * anyway, and deliveries recorded by another process are found that way.
 */
export class WebhookWake extends Effect.Service<WebhookWake>()("flowboard/WebhookWake", {
  effect: Effect.map(Queue.sliding<void>(1), (queue) => ({
    notify: Effect.asVoid(Queue.offer(queue, undefined)),
    /** Returns on the next wake-up (true), or after `atMost` (false). */
    wait: (atMost: Duration.DurationInput) => Effect.map(Effect.timeoutOption(Queue.take(queue), atMost), Option.isSome)
  }))
}) {}
