// The API token (only needed when the server runs with --api-token). It can
// be passed once as ?token=… and is then kept in this browser's localStorage.

const key = 'superego.apiToken'

export function readToken(): string | null {
  try {
    const url = new URL(window.location.href)
    const fromURL = url.searchParams.get('token')
    if (fromURL) {
      localStorage.setItem(key, fromURL)
      url.searchParams.delete('token')
      window.history.replaceState(null, '', url.toString())
    }
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

/** Keeps a token for the next page load. */
export function saveToken(token: string): void {
  try {
    localStorage.setItem(key, token)
  } catch {
    // storage disabled: the token cannot persist
  }
}
