// Opening an eval row in Chat under exactly the row's target: the target's
// flow config, screening against the very constitution text the row was
// screened against. A conversation can only name a constitution (by an
// instance override), not one of its versions or an unsaved draft, so an
// older version or a draft is first saved as a constitution of its own — a
// snapshot with a fixed id, reused when it already holds that text.

import { ApiError, type RestClient } from '../../api/restClient'
import type { EvalResult, EvalTarget } from '../../api/evalTypes'

/** Ids are lower-case slugs of at most 64 characters. */
function slug(s: string, max: number): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
}

/** A constitution with this id and text: the existing one, or a new one. */
async function snapshot(api: RestClient, id: string, name: string, description: string, content: string): Promise<string> {
  try {
    return (await api.constitutions.create({ id, name, description, content })).id
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e
  }
  const existing = await api.constitutions.get(id)
  if (existing.data.content === content) return id
  // Someone edited the snapshot since: save the text anew under a fresh id.
  return (await api.constitutions.create({ name, description, content })).id
}

/** The constitution a conversation must screen against to match the target, if any. */
export async function targetConstitution(api: RestClient, target: EvalTarget, evalRunId: string): Promise<string | undefined> {
  if (target.draft) {
    const hash = target.draft_hash ?? ''
    return snapshot(api, `draft-${hash.slice(0, 16)}`, `Draft ${hash.slice(0, 8)} (from an eval)`, `The unsaved draft eval ${evalRunId} ran (SHA-256 ${hash}).`, target.draft)
  }
  if (!target.constitution_id) return undefined // the config has no superego
  const id = target.constitution_id
  const current = await api.constitutions.get(id)
  const v = target.constitution_version ?? 0
  if (v === 0 || current.data.version === v) return id
  const old = await api.constitutions.version(id, v)
  return snapshot(api, `${slug(id, 50)}-v${v}`, `${current.data.name} v${v}`, `Version ${v} of ${id}, as eval ${evalRunId} ran it.`, old.content)
}

/** Creates the conversation for a row under a target and returns its id. */
export async function openUnderTarget(api: RestClient, row: EvalResult, target: EvalTarget, name: string): Promise<string> {
  const constitution = await targetConstitution(api, target, row.eval_run_id)
  const inst = await api.flowInstances.create({
    flow_config_id: target.flow_config_id,
    name,
    description: `From eval ${row.eval_run_id}`,
    ...(constitution ? { overrides: { constitution_id: constitution } } : {}),
  })
  return inst.id
}
