// src/ws-data.ts
// A ws message arrives as a Buffer, a list of Buffers (fragments) or an ArrayBuffer; one Buffer here.

import type { RawData } from 'ws'

export function toBuffer (data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}
