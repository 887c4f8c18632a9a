// Identifiers the page makes: the chat's attach key (kept across reloads, so a reload re-attaches to
// the same chat) and a channel for this page's events. crypto.randomUUID needs a secure context,
// and a dashboard behind plain-HTTP proxies is not one, so this uses getRandomValues.

const ATTACH_KEY = 'hermes-dashboard.chat.attach'

export function newId (prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}

// Storage can be off (privacy modes throw on access): then the key lives as long as the page.
let memory = null
function stored () {
  try { return localStorage.getItem(ATTACH_KEY) } catch { return memory }
}
function store (value) {
  memory = value
  try { localStorage.setItem(ATTACH_KEY, value) } catch {}
}

/** Whether this browser has started a chat before (one to re-attach to). */
export function hasChatKey () {
  return stored() !== null
}

/** The attach key of this browser's chat; made on first use. */
export function chatKey () {
  const have = stored()
  if (have !== null && /^[A-Za-z0-9._-]{1,128}$/.test(have)) return have
  const made = newId('web')
  store(made)
  return made
}

/** A new key: the next connection starts a new chat (the old one ends when idle). */
export function renewChatKey () {
  const made = newId('web')
  store(made)
  return made
}
