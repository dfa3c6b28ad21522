// Light, dark or the system's choice. The choice is kept in localStorage and
// set as html[data-theme] before the first paint (index.html reads it too),
// so a dark-mode user never sees a white flash.

export type Theme = 'system' | 'light' | 'dark'

const key = 'superego.theme'

export function readTheme(): Theme {
  try {
    const t = localStorage.getItem(key)
    return t === 'light' || t === 'dark' ? t : 'system'
  } catch {
    return 'system'
  }
}

export function applyTheme(t: Theme): void {
  const root = document.documentElement
  if (t === 'system') root.removeAttribute('data-theme')
  else root.setAttribute('data-theme', t)
  try {
    if (t === 'system') localStorage.removeItem(key)
    else localStorage.setItem(key, t)
  } catch {
    // Storage unavailable: the choice lasts for this page.
  }
}

/** The next theme of the header's switch: system → light → dark → system. */
export function nextTheme(t: Theme): Theme {
  return t === 'system' ? 'light' : t === 'light' ? 'dark' : 'system'
}
