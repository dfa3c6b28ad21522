// The Evals page: suites and eval runs (/evals), one suite's cases
// (/evals/suites/:id) and one eval run with its numbers (/evals/runs/:id).

import { useParams } from 'react-router'
import './evals.css'
import { EvalsHome } from './EvalsHome'
import { RunView } from './RunView'
import { SuiteView } from './SuiteView'

export function EvalsPage() {
  const { kind, id } = useParams()
  if (kind === 'suites' && id) return <SuiteView id={id} />
  if (kind === 'runs' && id) return <RunView id={id} />
  return <EvalsHome />
}
