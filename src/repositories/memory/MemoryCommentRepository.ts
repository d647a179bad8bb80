import { Effect, HashMap, Layer } from "effect"
import { CommentRepository } from "../CommentRepository.js"
import { MemoryStore, ok, violation } from "./MemoryStore.js"
import { pageAfter, rowsOf } from "./Query.js"

export const MemoryCommentRepository = Layer.effect(
  CommentRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return CommentRepository.of({
      insert: (comment) =>
        store.write((t) => {
          if (HashMap.has(t.comments, comment.id)) return violation(`comments: duplicate id ${comment.id}`)
          if (!HashMap.has(t.tasks, comment.taskId)) return violation("comments.task_id: no such task")
          if (!HashMap.has(t.users, comment.authorId)) return violation("comments.author_id: no such user")
          return ok(undefined, { ...t, comments: HashMap.set(t.comments, comment.id, comment) })
        }),
      findById: (id) => store.read((t) => HashMap.get(t.comments, id)),
      delete: (id) => store.write((t) => ok(HashMap.has(t.comments, id), { ...t, comments: HashMap.remove(t.comments, id) })),
      listByTask: (taskId, page) =>
        store.read((t) =>
          pageAfter(
            rowsOf(t.comments).filter((c) => c.taskId === taskId),
            page
          )
        )
    })
  })
)
