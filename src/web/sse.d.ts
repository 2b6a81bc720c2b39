/** Types of `sse.js`, the study page's event-stream parser (plain JS, no build step). */
export interface StreamEvent {
  event: string;
  data: string;
  id: string;
}
export function createEventStreamParser(onEvent: (e: StreamEvent) => void): { push(text: string): void; end(): void };
export function readEventStream(body: ReadableStream<Uint8Array>, onEvent: (e: StreamEvent) => void): Promise<void>;
