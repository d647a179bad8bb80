import { Context, type Effect, type Option } from "effect"
import type { RepositoryError } from "../domain/Errors.js"
import type { ColumnId, ProjectId } from "../domain/Ids.js"
import type { Column } from "../domain/Model.js"
import type { Ranked } from "../domain/Rank.js"

export class ColumnRepository extends Context.Tag("flowboard/ColumnRepository")<
  ColumnRepository,
  {
    readonly insert: (column: Column) => Effect.Effect<void, RepositoryError>
    readonly findById: (id: ColumnId) => Effect.Effect<Option.Option<Column>, RepositoryError>
    /**
     * Takes a row lock on the column until the transaction ends (SELECT ... FOR UPDATE), so
     * that WIP-limit checks and moves into the same column are serialised.
     */
    readonly lock: (id: ColumnId) => Effect.Effect<Option.Option<Column>, RepositoryError>
    /** Columns of a project in (rank, id) order. */
    readonly listByProject: (projectId: ProjectId) => Effect.Effect<ReadonlyArray<Column>, RepositoryError>
    readonly update: (column: Column) => Effect.Effect<void, RepositoryError>
    /** `false` when there was no such column. */
    readonly delete: (id: ColumnId) => Effect.Effect<boolean, RepositoryError>
    /**
     * A rebalance of a board: gives each listed column of `projectId` its new rank in one
     * statement (`updatedAt` kept: nobody edited it); columns of other projects are left alone.
     * Returns how many were rewritten.
     */
    readonly rewriteRanks: (projectId: ProjectId, ranks: ReadonlyArray<Ranked<ColumnId>>) => Effect.Effect<number, RepositoryError>
  }
>() {}
