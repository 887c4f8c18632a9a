// test/helpers/thrown.ts
// What a call threw (undefined when it returned), for tests that look at the error itself.

export function thrown (fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}
