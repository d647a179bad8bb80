import { Schema } from "effect"
import { ColumnId, ProjectId, TaskId, UserId } from "./Ids.js"
import { KeyScope, Priority, ProjectKey, ProjectRole, ProjectStatus, strict } from "./Model.js"
import { Email, Instant, NonBlank, Text } from "./Text.js"

/**
 * Request payloads. Every struct rejects unknown fields; optional fields that may be cleared
 * accept `null`. The services receive the decoded types.
 */
/** Unknown fields are an error. The struct carries the annotation so it guards the encoded side. */
const Strict = <F extends Schema.Struct.Fields>(fields: F) => Schema.Struct(fields).annotations(strict)
const WipLimit = Schema.NullOr(Schema.Int.pipe(Schema.between(1, 1000)))
const Estimate = Schema.NullOr(Schema.Number.pipe(Schema.finite(), Schema.between(0, 10_000)))
const Label = NonBlank(50)
const Labels = Schema.Array(Label).pipe(Schema.maxItems(20))
/** Versions are `integer` columns: a larger number could only ever be stale. */
const Version = Schema.Int.pipe(Schema.between(1, 2_147_483_647))
export const Position = Schema.Literal("top", "bottom")

export class CreateUser extends Schema.Class<CreateUser>("CreateUser")(Strict({ email: Email, name: NonBlank(100), role: Schema.optionalWith(Schema.Literal("admin", "member"), { default: () => "member" }) })) {}

export class CreateKey extends Schema.Class<CreateKey>("CreateKey")(
  Strict({
    name: NonBlank(100),
    scopes: Schema.Array(KeyScope).pipe(Schema.minItems(1), Schema.maxItems(3)),
    expiresAt: Schema.optionalWith(Schema.NullOr(Instant.annotations({ description: "When the key stops working: an RFC 3339 date-time in the future" })), {
      default: () => null
    })
  })
) {}

export class CreateProject extends Schema.Class<CreateProject>("CreateProject")(
  Strict({
    key: ProjectKey,
    name: NonBlank(200),
    description: Schema.optionalWith(Text(10_000), { default: () => "" }),
    status: Schema.optionalWith(ProjectStatus, { default: () => "planning" })
  })
) {}

export class UpdateProject extends Schema.Class<UpdateProject>("UpdateProject")(
  Strict({
    version: Version,
    name: Schema.optional(NonBlank(200)),
    description: Schema.optional(Text(10_000))
  })
) {}

export class MoveProject extends Schema.Class<MoveProject>("MoveProject")(
  Strict({
    version: Version,
    status: ProjectStatus,
    afterId: Schema.optional(ProjectId),
    beforeId: Schema.optional(ProjectId),
    position: Schema.optional(Position)
  })
) {}

export class AddMember extends Schema.Class<AddMember>("AddMember")(Strict({ userId: UserId, role: ProjectRole })) {}
export class UpdateMember extends Schema.Class<UpdateMember>("UpdateMember")(Strict({ role: ProjectRole })) {}

export class CreateColumn extends Schema.Class<CreateColumn>("CreateColumn")(
  Strict({
    name: NonBlank(100),
    wipLimit: Schema.optionalWith(WipLimit, { default: () => null }),
    isDone: Schema.optionalWith(Schema.Boolean, { default: () => false }),
    afterId: Schema.optional(ColumnId)
  })
) {}

export class UpdateColumn extends Schema.Class<UpdateColumn>("UpdateColumn")(
  Strict({
    name: Schema.optional(NonBlank(100)),
    wipLimit: Schema.optional(WipLimit),
    isDone: Schema.optional(Schema.Boolean)
  })
) {}

export class ReorderColumns extends Schema.Class<ReorderColumns>("ReorderColumns")(Strict({ columnIds: Schema.Array(ColumnId).pipe(Schema.minItems(1), Schema.maxItems(100)) })) {}

export class CreateTask extends Schema.Class<CreateTask>("CreateTask")(
  Strict({
    title: NonBlank(500),
    description: Schema.optionalWith(Text(50_000), { default: () => "" }),
    columnId: Schema.optional(ColumnId),
    position: Schema.optionalWith(Position, { default: () => "bottom" }),
    priority: Schema.optionalWith(Priority, { default: () => "medium" }),
    assigneeId: Schema.optionalWith(Schema.NullOr(UserId), { default: () => null }),
    labels: Schema.optionalWith(Labels, { default: () => [] }),
    dueAt: Schema.optionalWith(Schema.NullOr(Instant), { default: () => null }),
    estimate: Schema.optionalWith(Estimate, { default: () => null })
  })
) {}

export class UpdateTask extends Schema.Class<UpdateTask>("UpdateTask")(
  Strict({
    version: Version,
    title: Schema.optional(NonBlank(500)),
    description: Schema.optional(Text(50_000)),
    priority: Schema.optional(Priority),
    assigneeId: Schema.optional(Schema.NullOr(UserId)),
    labels: Schema.optional(Labels),
    dueAt: Schema.optional(Schema.NullOr(Instant)),
    estimate: Schema.optional(Estimate)
  })
) {}

export class MoveTask extends Schema.Class<MoveTask>("MoveTask")(
  Strict({
    version: Version,
    columnId: ColumnId,
    afterId: Schema.optional(TaskId),
    beforeId: Schema.optional(TaskId),
    position: Schema.optional(Position)
  })
) {}

export class CreateComment extends Schema.Class<CreateComment>("CreateComment")(Strict({ body: NonBlank(10_000) })) {}
