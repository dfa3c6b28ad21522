// The word diff of two texts, rendered (loaded on demand with the diff library).

import { useMemo } from 'react'
import { wordDiff } from './textDiff'

export default function WordDiffView({ from, to }: { from: string; to: string }) {
  const pieces = useMemo(() => wordDiff(from, to), [from, to])
  return (
    <div className="answer-diff" data-testid="answer-diff">
      {pieces.map((p, i) =>
        p.kind === 'same' ? (
          <span key={i}>{p.text}</span>
        ) : p.kind === 'add' ? (
          <ins key={i} className="word-add" data-testid="word-added">
            {p.text}
          </ins>
        ) : (
          <del key={i} className="word-del" data-testid="word-removed">
            {p.text}
          </del>
        ),
      )}
    </div>
  )
}
