import { Effect, HashMap, Layer, Option } from "effect"
import { AttachmentRepository } from "../AttachmentRepository.js"
import { MemoryStore, ok, violation } from "./MemoryStore.js"
import { pageAfter, rowsOf } from "./Query.js"

export const MemoryAttachmentRepository = Layer.effect(
  AttachmentRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return AttachmentRepository.of({
      insert: (attachment) =>
        store.write((t) => {
          if (HashMap.has(t.attachments, attachment.id)) return violation(`attachments: duplicate id ${attachment.id}`)
          const task = HashMap.get(t.tasks, attachment.taskId)
          if (Option.isNone(task)) return violation("attachments.task_id: no such task")
          if (task.value.projectId !== attachment.projectId) return violation("attachments: the task is not in that project")
          if (!HashMap.has(t.users, attachment.uploadedBy)) return violation("attachments.uploaded_by: no such user")
          return ok(undefined, { ...t, attachments: HashMap.set(t.attachments, attachment.id, attachment) })
        }),
      findById: (id) => store.read((t) => HashMap.get(t.attachments, id)),
      delete: (id) => store.write((t) => ok(HashMap.has(t.attachments, id), { ...t, attachments: HashMap.remove(t.attachments, id) })),
      listByTask: (taskId, page) => store.read((t) => pageAfter(rowsOf(t.attachments).filter((a) => a.taskId === taskId), page)),
      usage: (projectId) =>
        store.read((t) => rowsOf(t.attachments).reduce((sum, a) => (a.projectId === projectId ? sum + a.size : sum), 0))
    })
  })
)
