// test/helpers/raw-ws.ts
// A WebSocket spoken by hand over a TCP socket, to send frames no well-behaved client would:
// reserved bits, unmasked frames, invalid UTF-8. Reports the close code the server answers with.

import { createHash, randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

export interface RawWs {
  readonly socket: Socket
  /** Writes bytes after the handshake. */
  write (bytes: Buffer): void
  /** The close code of the server's close frame, or null when the connection just ended. */
  closeCode (timeoutMs?: number): Promise<number | null>
}

/** Opens a connection and completes the handshake; rejects when the server does not answer 101. */
export function rawWebSocket (port: number, path: string, extraHeaders = ''): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64')
    const socket = connect(port, '127.0.0.1')
    let buf = Buffer.alloc(0)
    let upgraded = false
    const frames: Buffer[] = []
    let onFrames: (() => void) | null = null
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('handshake timed out')) }, 10_000)
    socket.on('error', (err) => { if (!upgraded) reject(err) })
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n')
        if (end === -1) return
        const head = buf.subarray(0, end).toString()
        buf = buf.subarray(end + 4)
        clearTimeout(timer)
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) {
          socket.destroy()
          reject(new Error(`no upgrade: ${head.split('\r\n')[0] ?? ''}`))
          return
        }
        upgraded = true
        resolve({
          socket,
          write: (bytes) => socket.write(bytes),
          closeCode: (timeoutMs = 10_000) => new Promise((res) => {
            const t = setTimeout(() => res(null), timeoutMs)
            const check = (): void => {
              const code = findClose(frames, buf)
              if (code !== undefined) { clearTimeout(t); res(code) }
            }
            onFrames = check
            socket.once('close', () => { clearTimeout(t); res(findClose(frames, buf) ?? null) })
            check()
          }),
        })
      }
      onFrames?.()
    })
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`)
  })
}

/** Scans server frames (unmasked) for a close frame; returns its code. */
function findClose (_frames: Buffer[], data: Buffer): number | undefined {
  let i = 0
  while (i + 2 <= data.length) {
    const opcode = (data[i] as number) & 0x0f
    let len = (data[i + 1] as number) & 0x7f
    let at = i + 2
    if (len === 126) { if (at + 2 > data.length) return undefined; len = data.readUInt16BE(at); at += 2 } else if (len === 127) { if (at + 8 > data.length) return undefined; len = Number(data.readBigUInt64BE(at)); at += 8 }
    if (at + len > data.length) return undefined
    if (opcode === 0x8) return len >= 2 ? data.readUInt16BE(at) : 1005
    i = at + len
  }
  return undefined
}

/** A client frame: masked unless told otherwise. */
export function frame (opcode: number, payload: Buffer, opts: { fin?: boolean, rsv1?: boolean, masked?: boolean } = {}): Buffer {
  const first = (opts.fin === false ? 0 : 0x80) | (opts.rsv1 === true ? 0x40 : 0) | opcode
  const masked = opts.masked !== false
  const len = payload.length
  const header = len < 126 ? Buffer.from([first, (masked ? 0x80 : 0) | len])
    : len < 65536 ? Buffer.from([first, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff])
      : Buffer.concat([Buffer.from([first, (masked ? 0x80 : 0) | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b })()])
  if (!masked) return Buffer.concat([header, payload])
  const mask = randomBytes(4)
  const body = Buffer.from(payload)
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (mask[i % 4] as number)
  return Buffer.concat([header, mask, body])
}
