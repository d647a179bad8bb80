import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { ColumnId, ProjectId } from "../../domain/Ids.js"
import { Column } from "../../domain/Model.js"
import { ColumnRepository } from "../ColumnRepository.js"
import { RankArrays, Timestamp, toRankArrays, traced } from "./SqlSupport.js"

const ColumnRow = Schema.Struct({ ...Column.fields, createdAt: Timestamp, updatedAt: Timestamp })
const ColumnFromRow = Schema.transform(ColumnRow, Schema.typeSchema(Column), {
  strict: true,
  decode: (row) => new Column(row, true),
  encode: (column) => column
})

export const SqlColumnRepositoryLive = Layer.effect(
  ColumnRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insert = SqlSchema.void({
      Request: ColumnRow,
      execute: (row) => sql`INSERT INTO board_columns ${sql.insert(row)}`
    })
    const findById = SqlSchema.findOne({
      Request: ColumnId,
      Result: ColumnFromRow,
      execute: (id) => sql`SELECT * FROM board_columns WHERE id = ${id}`
    })
    const lock = SqlSchema.findOne({
      Request: ColumnId,
      Result: ColumnFromRow,
      execute: (id) => sql`SELECT * FROM board_columns WHERE id = ${id} FOR UPDATE`
    })
    const listByProject = SqlSchema.findAll({
      Request: ProjectId,
      Result: ColumnFromRow,
      execute: (projectId) => sql`SELECT * FROM board_columns WHERE project_id = ${projectId} ORDER BY rank, id`
    })
    const update = SqlSchema.void({
      Request: ColumnRow,
      execute: (row) => sql`UPDATE board_columns SET ${sql.update(row, ["id"])} WHERE id = ${row.id}`
    })
    const rewriteRanks = SqlSchema.findAll({
      Request: Schema.Struct({ projectId: ProjectId, ranks: RankArrays(ColumnId) }),
      Result: Schema.Struct({ id: ColumnId }),
      execute: ({ projectId, ranks }) =>
        sql`UPDATE board_columns SET rank = fresh.rank
            FROM unnest(${ranks.ids}::uuid[], ${ranks.ranks}::text[]) AS fresh(id, rank)
            WHERE board_columns.id = fresh.id AND board_columns.project_id = ${projectId}
            RETURNING board_columns.id`
    })

    return ColumnRepository.of({
      insert: (column) => insert(column).pipe(traced("SqlColumnRepository.insert")),
      findById: (id) => findById(id).pipe(traced("SqlColumnRepository.findById")),
      lock: (id) => lock(id).pipe(traced("SqlColumnRepository.lock")),
      listByProject: (projectId) => listByProject(projectId).pipe(traced("SqlColumnRepository.listByProject")),
      update: (column) => update(column).pipe(traced("SqlColumnRepository.update")),
      delete: (id) =>
        sql`DELETE FROM board_columns WHERE id = ${id} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          traced("SqlColumnRepository.delete")
        ),
      rewriteRanks: (projectId, ranks) =>
        (ranks.length === 0 ? Effect.succeed([]) : rewriteRanks({ projectId, ranks: toRankArrays(ranks) })).pipe(
          Effect.map((rows) => rows.length),
          traced("SqlColumnRepository.rewriteRanks")
        )
    })
  })
)
