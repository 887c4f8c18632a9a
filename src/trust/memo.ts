// src/trust/memo.ts
// Remembers a pure function's answers for string keys, bounded: the same peers and Host values come
// with every request, but a flood of distinct ones must not grow memory (the memo then starts over).

export function memoize<V> (fn: (key: string) => V, limit: number): (key: string) => V {
  const memo = new Map<string, V>()
  return (key) => {
    if (memo.has(key)) return memo.get(key) as V
    const value = fn(key)
    if (memo.size >= limit) memo.clear()
    memo.set(key, value)
    return value
  }
}
