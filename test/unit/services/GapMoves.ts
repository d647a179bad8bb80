import { Effect } from "effect"
import { MoveTask } from "../../../src/domain/Requests.js"
import { BoardService } from "../../../src/services/BoardService.js"
import { TaskService } from "../../../src/services/TaskService.js"
import { allEvents, aProject, aTask, columnsByName, signUp, titlesIn } from "./Fixtures.js"

/**
 * The case: B and C are moved in turn right after A, each into the gap the other left,
 * so without a bound the key grows by a character every five moves or so. Each move is sent as
 * a client sends it, with the version it last read. Returns the longest key any move produced,
 * the longest left in the column, the column's order and how many rebalances it took.
 */
export const moveIntoOneGap = (moves: number) =>
  Effect.gen(function* () {
    const owner = yield* signUp()
    const actor = owner.actor
    const project = yield* aProject(actor)
    const todo = (yield* columnsByName(actor, project.id))("To do")
    const [, a, b, c] = yield* Effect.forEach(["Top", "A", "B", "C", "Tail"], (title) => aTask(actor, project.id, { title, columnId: todo }))
    const tasks = yield* TaskService
    let longestMoved = 0
    for (let i = 0; i < moves; i++) {
      const id = (i % 2 === 0 ? c! : b!).id
      const current = yield* tasks.get(actor, id)
      const moved = yield* tasks.move(actor, id, new MoveTask({ version: current.version, columnId: todo, afterId: a!.id }))
      longestMoved = Math.max(longestMoved, moved.rank.length)
    }
    const board = yield* Effect.flatMap(BoardService, (service) => service.board(actor, project.id))
    const ranks = board.columns.find((column) => column.column.id === todo)!.tasks.map((task) => task.rank)
    return {
      longestMoved,
      longestLeft: Math.max(...ranks.map((rank) => rank.length)),
      titles: yield* titlesIn(actor, project.id, todo),
      rebalances: (yield* allEvents).filter((event) => event.type === "column.rebalanced.v1").length
    }
  })
