// test/unit/state-db.test.ts
// What identifies state.db's content (src/hermes/state-db.ts): the file the name leads to, checked
// once per turn of the event loop (a request's contract, cache stamp and worker path share one
// check), and SQLite's data_version, which moves when another connection commits. A file replaced
// (a restore) is seen on the next turn. Real homes, real SQLite files, a real second connection.

import Database from 'better-sqlite3'
import t from 'tap'
import { join } from 'node:path'
import { renameSync } from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { createFixtureHome } from '../helpers/home.js'
import { openHermesHome } from '../../src/hermes/home.js'
import { createStateDb } from '../../src/hermes/state-db.js'

t.test('state.db is checked once a turn, and its stamp follows the file and what Hermes commits', async (t) => {
  const home = createFixtureHome({ sessions: { active: 1, ended: 1, stale: 0 } })
  const restored = createFixtureHome({ sessions: { active: 0, ended: 5, stale: 0 } })
  t.teardown(() => { home.remove(); restored.remove() })
  const stateDb = createStateDb()
  t.teardown(() => stateDb.close())
  const profile = openHermesHome(home.dir).profile('default')
  const count = async (): Promise<number | null> => await stateDb.read(profile, (db) => (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n)

  const first = await stateDb.stamp(profile)
  t.type(first, 'string', 'a stamp for a home with state.db')
  await nextTurn()
  t.equal(await stateDb.stamp(profile), first, 'nothing written: the same stamp on a later turn')

  // Another connection commits, as Hermes does while it chats.
  const writer = new Database(join(home.dir, 'state.db'))
  writer.prepare("INSERT INTO sessions (id, source, started_at) VALUES ('written', 'cli', ?)").run(Date.now() / 1000)
  const afterWrite = await stateDb.stamp(profile)
  t.not(afterWrite, first, 'a commit by another connection moves the stamp')
  t.equal(await count(), 3, 'and the new row is read')
  // Written through to the file, as a restore would find it (a WAL left behind is the old file's).
  writer.pragma('wal_checkpoint(TRUNCATE)')
  writer.close()

  // The file replaced within the same turn as a check: that turn keeps the file it checked.
  await nextTurn()
  const before = await stateDb.stamp(profile)
  const other = new Database(join(restored.dir, 'state.db'), { readonly: true })
  const restoredCount = (other.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n
  other.close()
  renameSync(join(restored.dir, 'state.db'), join(home.dir, 'state.db'))
  t.equal(await stateDb.stamp(profile), before, 'checked once this turn: the same file, no second stat')
  t.equal(await count(), 3, 'and the same handle reads it')
  await nextTurn()
  const replaced = await stateDb.stamp(profile)
  t.not(replaced, before, 'on the next turn the replaced file is seen')
  t.equal(await count(), restoredCount, `and read: the restored database (${restoredCount} sessions)`)
})
