// The run bookkeeping behind the WebSocket client, kept apart from the
// connection itself: which runs this tab follows and the last seq it saw of
// each (what a `resume` asks for after a reconnect), dropping replayed
// duplicates, a bounded buffer of recent events for views that mount late,
// and working out which run a failed resume was about.

import type { ErrorEvent, RunEvent } from './wsTypes'

const maxBufferedRuns = 64

interface Followed {
  lastSeq: number
  /** Set when a resume was sent and nothing of the run has arrived since. */
  resumePending: boolean
}

export class RunTracker {
  private readonly followed = new Map<string, Followed>()
  /**
   * Recent run events by run, in seq order, so a view mounted after a run
   * started (say, a fork opened by "Rerun with…") sees it from the start.
   */
  private readonly buffer = new Map<string, RunEvent[]>()
  /** request_id of each resume frame → its run, to attribute a failed resume. */
  private readonly resumes = new Map<string, string>()

  /** The highest seq seen for a followed run, or undefined when not followed. */
  lastSeq(runId: string): number | undefined {
    return this.followed.get(runId)?.lastSeq
  }

  followedRuns(): string[] {
    return [...this.followed.keys()]
  }

  /** The buffered events of every recent run of one flow instance. */
  eventsForInstance(flowInstanceId: string): RunEvent[] {
    const out: RunEvent[] = []
    for (const evs of this.buffer.values()) {
      if (evs[0]?.flow_instance_id === flowInstanceId) out.push(...evs)
    }
    return out
  }

  /** Starts following a run from afterSeq; false when it already is followed. */
  follow(runId: string, afterSeq: number): boolean {
    if (this.followed.has(runId)) return false
    this.followed.set(runId, { lastSeq: afterSeq, resumePending: true })
    return true
  }

  unfollow(runId: string): void {
    this.followed.delete(runId)
  }

  /** Runs a request started (its `accepted` reply): followed from seq 0. */
  started(runIds: readonly string[]): void {
    for (const id of runIds) {
      if (!this.followed.has(id)) this.followed.set(id, { lastSeq: 0, resumePending: false })
    }
  }

  /** Notes the resume frame sent for a run, so an error for it can be attributed. */
  resumeSent(requestId: string, runId: string): void {
    this.resumes.set(requestId, runId)
  }

  /** After a reconnect: every followed run with the seq to resume after. */
  toResume(): [runId: string, afterSeq: number][] {
    const out: [string, number][] = []
    for (const [runId, f] of this.followed) {
      f.resumePending = true
      out.push([runId, f.lastSeq])
    }
    return out
  }

  /**
   * Records a run event; false when it is a replayed duplicate (at or below
   * the last seq seen) that views must not get again.
   */
  accept(e: RunEvent): boolean {
    let f = this.followed.get(e.run_id)
    if (!f) {
      f = { lastSeq: 0, resumePending: false }
      if (e.type !== 'run_finished') this.followed.set(e.run_id, f)
    }
    if (f.resumePending) {
      f.resumePending = false
      for (const [rid, runId] of this.resumes) if (runId === e.run_id) this.resumes.delete(rid)
    }
    // A replay after resume may overlap what we already have.
    if (e.seq <= f.lastSeq) return false
    f.lastSeq = e.seq
    if (e.type === 'run_finished') this.followed.delete(e.run_id)
    this.remember(e)
    return true
  }

  /**
   * The runs an error frame says can no longer be resumed (they stop being
   * followed); empty for any other error.
   */
  unavailable(e: ErrorEvent): string[] {
    const resumed = e.request_id ? this.resumes.get(e.request_id) : undefined
    if (e.request_id) this.resumes.delete(e.request_id)
    if (e.code !== 'resume_unavailable' && e.code !== 'not_found') return []
    // Which resume failed: the one with this request_id, else the run the
    // error's message names, else every run whose resume no event has
    // answered yet.
    const named = resumed ?? [...this.followed.keys()].find((id) => e.message.includes(id))
    const runs = named ? [named] : [...this.followed.entries()].filter(([, f]) => f.resumePending).map(([id]) => id)
    for (const runId of runs) this.followed.delete(runId)
    return runs
  }

  private remember(e: RunEvent): void {
    let evs = this.buffer.get(e.run_id)
    if (!evs) {
      evs = []
      this.buffer.set(e.run_id, evs)
      // Bounded: the oldest runs go first (Map keeps insertion order).
      while (this.buffer.size > maxBufferedRuns) this.buffer.delete(this.buffer.keys().next().value as string)
    }
    evs.push(e)
  }
}
