// Keeps a scrolling list pinned to its newest content while the reader is at
// the bottom, like a terminal: streamed text, new turns, a history that
// finished loading or a header that grew all keep the end in view. Scrolling
// up to read something unpins it until the reader scrolls back down (or
// sends, which calls pin()).

import { useCallback, useEffect, useRef } from 'react'

/** How close to the end (px) still counts as "at the bottom". */
const slack = 80

export function useStickToBottom<T extends HTMLElement>() {
  const ref = useRef<T>(null)
  const pinned = useRef(true)

  useEffect(() => {
    const el = ref.current
    if (!el) return
    const follow = () => {
      if (pinned.current) el.scrollTop = el.scrollHeight
    }
    const onScroll = () => {
      pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < slack
    }
    // Content changes (deltas, turns, loaded history) and the box itself
    // changing size (a header line that loaded later, a resized window).
    const mutations = new MutationObserver(follow)
    mutations.observe(el, { childList: true, subtree: true, characterData: true })
    const resizes = new ResizeObserver(follow)
    resizes.observe(el)
    el.addEventListener('scroll', onScroll, { passive: true })
    follow()
    return () => {
      mutations.disconnect()
      resizes.disconnect()
      el.removeEventListener('scroll', onScroll)
    }
  }, [])

  const pin = useCallback(() => {
    pinned.current = true
    const el = ref.current
    if (el) el.scrollTop = el.scrollHeight
  }, [])

  return { ref, pin }
}
