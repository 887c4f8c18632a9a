#!/usr/bin/env node
// src/launcher.ts
// The command's entry point, bundled alone as dist/hermes-dashboard.cjs. It runs the command line
// (dist/hermes-dashboard.bundle.cjs: our code and every dependency but the native ones, in one
// file) compiled from V8's code cache beside it, when that cache was made from the same bytes.
// Start-up is mostly compiling JavaScript (fastify and its dependencies above all), and a compile
// from the cache skips it: on the bench machine, spawn → first /api/status went from about 430 to
// about 250 ms. The cache is written, atomically, once the server listens, when it was missing,
// made from other bytes, or refused by V8 (another Node, other V8 flags); where dist/ is not
// writable it is not written, and the start compiles as it always did.
//
// V8 checks a cache against the source's length only, so the cache begins with the bundle's
// SHA-256: a cache made from other bytes of the same length would otherwise run their code.

import { isAscii } from 'node:buffer'
import { createHash } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'
import { LISTENING_CHANNEL } from './listening-channel.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const BUNDLE = join(HERE, 'hermes-dashboard.bundle.cjs')
const CACHE = join(HERE, 'hermes-dashboard.bundle.v8cache')
const DIGEST_BYTES = 32

type ModuleBody = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void

/** The cached data for these bytes, if the cache file was made from them. */
function cachedFor (digest: Buffer): Buffer | undefined {
  let file: Buffer
  try {
    file = readFileSync(CACHE)
  } catch {
    return undefined
  }
  return file.length > DIGEST_BYTES && file.subarray(0, DIGEST_BYTES).equals(digest) ? file.subarray(DIGEST_BYTES) : undefined
}

/** Digest then V8's data, renamed into place: a start reading meanwhile sees the old file or the new one. */
function writeCache (digest: Buffer, data: Buffer): void {
  const tmp = `${CACHE}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, Buffer.concat([digest, data]), { mode: 0o644 })
    renameSync(tmp, CACHE)
  } catch {
    // Not writable here (a root-owned install, a read-only image): starts compile without it.
    rmSync(tmp, { force: true })
  }
}

function launch (): void {
  const bytes = readFileSync(BUNDLE)
  const digest = createHash('sha256').update(bytes).digest()
  const cachedData = cachedFor(digest)
  // The build escapes whatever is not ASCII (scripts/build-cli.mjs): read as latin1, the same text
  // becomes a one-byte string in a quarter of utf8's decoding time. A bundle edited by hand is utf8.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')
  // The wrapper CommonJS gives a file, on the first line so that line numbers stay the file's.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE,
    ...(cachedData !== undefined ? { cachedData } : {}),
  })
  if (cachedData === undefined || script.cachedDataRejected === true) {
    const listening = (): void => {
      unsubscribe(LISTENING_CHANNEL, listening)
      // After the banner's write and whatever else that turn does.
      setImmediate(() => writeCache(digest, script.createCachedData()))
    }
    subscribe(LISTENING_CHANNEL, listening)
  }
  const body = script.runInThisContext() as ModuleBody
  const module = { exports: {} }
  body.call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, HERE)
}

launch()
