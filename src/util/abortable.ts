/**
 * Iterates `source` until `signal` aborts, then throws the signal's reason at once, even when
 * the source is stuck waiting and never looks at the signal. The source is then asked to stop
 * (`return()`) without waiting for it. With no signal, it is `source` unchanged.
 *
 * @example
 * for await (const event of abortable(answerer.stream(q, passages), AbortSignal.timeout(20_000))) …
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (!signal) {
    yield* source;
    return;
  }
  signal.throwIfAborted();
  const iterator = source[Symbol.asyncIterator]();
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
  });
  // Handled by the race below; this only keeps an abort after the loop from being reported as unhandled.
  aborted.catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), aborted]);
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!finished) {
      // A stuck source may never settle its return(); do not wait for it after an abort.
      const closing = iterator.return?.();
      if (signal.aborted) closing?.catch(() => {});
      else await closing;
    }
  }
}
