import { Context, type DateTime, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { EventId, ProjectId } from "../domain/Ids.js"
import type { PageRequest } from "../domain/Page.js"
import type { Delivery, DeliveryAttempt, DeliveryId, DeliveryStatus, Webhook, WebhookEventType, WebhookId } from "../domain/Webhook.js"

/** A subscription with its signing secrets, as stored; the API never shows the secrets again. */
export interface StoredWebhook {
  readonly webhook: Webhook
  readonly secret: string
  /** The secret before the last rotation, valid until `webhook.previousSecretExpiresAt`. */
  readonly previousSecret: string | null
}

/** A delivery to record: the body is fixed now, so every attempt sends the same bytes. */
export interface NewDelivery {
  readonly id: DeliveryId
  readonly webhookId: WebhookId
  readonly eventId: EventId
  readonly eventType: WebhookEventType
  readonly body: string
  readonly createdAt: DateTime.Utc
}

/** A delivery leased to this worker: the oldest pending one of its subscription, and due. */
export interface DueDelivery {
  readonly id: DeliveryId
  readonly eventId: EventId
  readonly eventType: WebhookEventType
  readonly body: string
  /** Attempts made before this one. */
  readonly attempts: number
  readonly subscription: StoredWebhook
}

/** What an attempt leaves the delivery as: still pending (when next), or finished. */
export type AttemptResult =
  | { readonly _tag: "Retry"; readonly at: DateTime.Utc }
  | { readonly _tag: "Finished"; readonly status: Exclude<DeliveryStatus, "pending">; readonly at: DateTime.Utc }

export interface DeliveryFilter {
  readonly status: DeliveryStatus | null
  /** Only deliveries with at least one failed attempt. */
  readonly failedOnly: boolean
}

export interface WebhookCounts {
  readonly active: number
  readonly disabled: number
  readonly pending: number
}

/**
 * Webhook subscriptions and their deliveries. A subscription's deliveries go out one at a time
 * in the order they were recorded (`claimDue` hands out only the oldest pending one of each
 * subscription), and a lease keeps two workers from sending the same one; a worker that dies
 * leaves its lease to expire, and the delivery is sent again. Deleting a project deletes its
 * subscriptions, and a subscription's deletion its deliveries.
 */
export class WebhookRepository extends Context.Tag("flowboard/WebhookRepository")<
  WebhookRepository,
  {
    readonly insert: (stored: StoredWebhook) => Effect.Effect<void, RepositoryError>
    readonly find: (id: WebhookId) => Effect.Effect<Option.Option<StoredWebhook>, RepositoryError>
    /** Replaces the row when its version is `expectedVersion` (the new one must be the next); `false` otherwise. */
    readonly update: (stored: StoredWebhook, expectedVersion: number) => Effect.Effect<boolean, RepositoryError>
    readonly delete: (id: WebhookId) => Effect.Effect<boolean, RepositoryError>
    /** A project's subscriptions in id order, `limit + 1` after the cursor id. */
    readonly listByProject: (projectId: ProjectId, page: PageRequest) => Effect.Effect<ReadonlyArray<Webhook>, RepositoryError>
    /** Every subscription of the project that wants `type`, active or not (a disabled one keeps what it misses for later). */
    readonly subscribers: (projectId: ProjectId, type: WebhookEventType) => Effect.Effect<ReadonlyArray<WebhookId>, RepositoryError>
    /** Records deliveries; one that exists (same subscription and event) is left as it is. */
    readonly enqueue: (deliveries: ReadonlyArray<NewDelivery>) => Effect.Effect<void, RepositoryError>
    /** Leases up to `limit` due deliveries, each the oldest pending of an active subscription, until `leaseUntil`. */
    readonly claimDue: (now: DateTime.Utc, leaseUntil: DateTime.Utc, limit: number) => Effect.Effect<ReadonlyArray<DueDelivery>, RepositoryError>
    /**
     * Appends the attempt, sets the delivery's state and ends its lease. With `leaseNext`, a
     * finished delivery's successor (the next pending delivery of its subscription, when it is
     * active, due and not leased) is leased in the same statement and returned: a worker goes on
     * down one subscription's queue at one statement per delivery.
     */
    readonly recordAttempt: (
      id: DeliveryId,
      attempt: DeliveryAttempt,
      result: AttemptResult,
      leaseNext?: { readonly webhookId: WebhookId; readonly now: DateTime.Utc; readonly until: DateTime.Utc }
    ) => Effect.Effect<Option.Option<DueDelivery>, RepositoryError>
    /** Ends the lease without an attempt: the delivery is due again at `at` (its endpoint's breaker is open). */
    readonly defer: (id: DeliveryId, at: DateTime.Utc) => Effect.Effect<void, RepositoryError>
    /** Sets since when the subscription has been failing (null: it answered 2xx); the version is not changed. */
    readonly setFailingSince: (id: WebhookId, since: DateTime.Utc | null) => Effect.Effect<void, RepositoryError>
    readonly findDelivery: (id: DeliveryId) => Effect.Effect<Option.Option<Delivery>, RepositoryError>
    /** A subscription's deliveries, newest first: `limit + 1` with ids below the cursor id. */
    readonly listDeliveries: (webhookId: WebhookId, filter: DeliveryFilter, page: PageRequest) => Effect.Effect<ReadonlyArray<Delivery>, RepositoryError>
    /** Makes the delivery pending and due at `now` (a finished one again; a waiting one without waiting more); `false` when absent. */
    readonly redeliver: (id: DeliveryId, now: DateTime.Utc) => Effect.Effect<boolean, RepositoryError>
    /** Marks every pending delivery of the subscription skipped; how many. */
    readonly skipPending: (webhookId: WebhookId, now: DateTime.Utc) => Effect.Effect<number, RepositoryError>
    readonly counts: Effect.Effect<WebhookCounts, RepositoryError>
    /** Deletes finished deliveries (and their attempts) finished before `before`; how many. */
    readonly prune: (before: DateTime.Utc) => Effect.Effect<number, RepositoryError>
  }
>() {}
