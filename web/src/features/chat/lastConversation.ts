// The conversation this browser had open last, kept in localStorage so the
// chat page reopens it on start.

const key = 'superego.lastConversation'

export function readLastConversation(): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

export function rememberConversation(id: string): void {
  try {
    localStorage.setItem(key, id)
  } catch {
    // Private mode or storage full: the chat then opens the most recent one.
  }
}
