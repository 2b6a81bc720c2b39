// Server-sent events over fetch: EventSource cannot POST a question or send an API key,
// so the study page reads the response body and parses the event stream itself.

/**
 * A parser of the text/event-stream format (WHATWG HTML, "Parsing an event stream"):
 * feed it text as it arrives; it calls onEvent({ event, data, id }) for every complete event.
 */
export function createEventStreamParser(onEvent) {
  let buffer = '';
  let data = [];
  let event = '';
  let id = '';
  let sawCr = false;
  const line = (l) => {
    if (l === '') {
      if (data.length > 0) onEvent({ event: event || 'message', data: data.join('\n'), id });
      data = [];
      event = '';
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
  };
  return {
    push(text) {
      // A CR at the end of the previous piece may be the first half of a CRLF.
      if (sawCr && text.startsWith('\n')) text = text.slice(1);
      sawCr = text.endsWith('\r');
      buffer += text;
      const parts = buffer.split(/\r\n|\r|\n/);
      buffer = parts.pop() ?? '';
      for (const p of parts) line(p);
    },
    end() {
      if (buffer !== '') line(buffer);
      buffer = '';
    },
  };
}

/** Reads a fetch Response body as an event stream until it ends; resolves when it has. */
export async function readEventStream(body, onEvent) {
  const parser = createEventStreamParser(onEvent);
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.push(value);
  }
  parser.end();
}
