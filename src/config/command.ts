// src/config/command.ts
// Splits a command given as one string ("python3 -m hermes_cli.main") into argv, the way a POSIX
// shell would for quotes and backslashes, without running a shell. Pure.

export function splitCommand (text: string): string[] | null {
  const args: string[] = []
  let current = ''
  let inArg = false
  let quote: '"' | "'" | null = null
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quote === "'") {
      if (ch === "'") quote = null
      else current += ch
    } else if (quote === '"') {
      if (ch === '"') quote = null
      else if (ch === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) current += text[++i] as string
      else current += ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      inArg = true
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i] as string
      inArg = true
    } else if (/\s/.test(ch)) {
      if (inArg) args.push(current)
      current = ''
      inArg = false
    } else {
      current += ch
      inArg = true
    }
  }
  if (quote !== null) return null
  if (inArg) args.push(current)
  return args.length === 0 ? null : args
}
