// test/unit/send-file.test.ts
// Which Accept-Encoding values get the gzip copy of a built asset.

import t from 'tap'
import { acceptsGzip } from '../../src/web/send-file.js'

t.test('acceptsGzip', async (t) => {
  for (const yes of ['gzip', 'gzip, deflate, br', 'br;q=1.0, GZIP;q=0.5', 'deflate, gzip ;q=0.1', ' gzip;q=1']) t.ok(acceptsGzip(yes), yes)
  for (const no of [undefined, '', 'identity', 'br', 'x-gzip', 'gzip;q=0', 'gzip; q=0.000', 'br, gzip;q=0', '*']) t.notOk(acceptsGzip(no), String(no))
})
