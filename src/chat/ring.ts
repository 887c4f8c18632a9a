// src/chat/ring.ts
// The replay buffer of a kept-alive chat: the last `capacity` bytes of PTY output, kept as the
// chunks they arrived in (no copy per write), cut at the front when it overflows.

export interface Ring {
  push (chunk: Buffer): void
  /** Everything held, oldest first, starting at a character boundary. */
  snapshot (): Buffer
  readonly size: number
}

export function createRing (capacity: number): Ring {
  let chunks: Buffer[] = []
  let size = 0
  let head = 0 // index of the oldest chunk still held
  return {
    push (chunk) {
      if (chunk.length === 0) return
      if (chunk.length >= capacity) {
        chunks = [Buffer.from(chunk.subarray(chunk.length - capacity))]
        head = 0
        size = capacity
        return
      }
      chunks.push(chunk)
      size += chunk.length
      while (size > capacity) {
        const first = chunks[head] as Buffer
        const excess = size - capacity
        if (first.length <= excess) {
          head++
          size -= first.length
        } else {
          chunks[head] = first.subarray(excess)
          size -= excess
        }
      }
      // Drop the consumed slots now and then, not on every push.
      if (head > 64 && head * 2 > chunks.length) {
        chunks = chunks.slice(head)
        head = 0
      }
    },
    snapshot () {
      const all = Buffer.concat(head === 0 ? chunks : chunks.slice(head), size)
      // A cut may have landed inside a UTF-8 sequence: skip its continuation bytes.
      let start = 0
      while (start < all.length && start < 3 && ((all[start] as number) & 0xc0) === 0x80) start++
      return start === 0 ? all : all.subarray(start)
    },
    get size () { return size },
  }
}
