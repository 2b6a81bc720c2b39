import type { RerankCandidate, Reranker, RerankQuery } from '../ports/reranker.js';
import { QbankError } from '../errors.js';

/**
 * Options of the cross-encoder reranker served over HTTP.
 *
 * @example
 * new HttpReranker({ url: 'http://127.0.0.1:8080/rerank' })                              // TEI
 * new HttpReranker({ url: 'https://api.cohere.com/v2/rerank', model: 'rerank-v3.5', apiKey }) // Cohere
 */
export interface HttpRerankerOptions {
  url: string;
  model?: string;
  apiKey?: string;
  /** Request deadline in milliseconds; on expiry the fused order is kept. Default 5000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class RerankRequestError extends QbankError {
  constructor(readonly url: string, reason: string, options?: { cause?: unknown }) {
    super('rerank_failed', `The rerank request to ${url} failed: ${reason}.`, options);
  }
}

/**
 * A cross-encoder behind an HTTP rerank endpoint. Speaks the two common shapes: TEI
 * (`{query, texts}` → `[{index, score}]`) and Cohere / Jina (`{model, query, documents}` →
 * `{results: [{index, relevance_score}]}`).
 */
export class HttpReranker implements Reranker {
  readonly id: string;
  constructor(private readonly options: HttpRerankerOptions) {
    this.id = `http:${options.url}${options.model ? `:${options.model}` : ''}`;
  }

  async rerank(query: RerankQuery, candidates: readonly RerankCandidate[]): Promise<{ id: string; score: number }[]> {
    if (candidates.length === 0) return [];
    const texts = candidates.map((c) => (c.chunk.title ? `${c.chunk.title}\n${c.chunk.text}` : c.chunk.text));
    const body = this.options.model
      ? { model: this.options.model, query: query.text, documents: texts, top_n: texts.length }
      : { query: query.text, texts, raw_scores: false };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    let json: unknown;
    try {
      const res = await (this.options.fetch ?? fetch)(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      if (!res.ok) throw new RerankRequestError(this.options.url, `HTTP ${res.status}`);
      json = await res.json();
    } catch (cause) {
      if (cause instanceof RerankRequestError) throw cause;
      throw new RerankRequestError(this.options.url, (cause as Error).message, { cause });
    }
    const rows = Array.isArray(json) ? json : (json as { results?: unknown }).results;
    if (!Array.isArray(rows)) throw new RerankRequestError(this.options.url, 'the response has no list of scores');
    const scored: { id: string; score: number }[] = [];
    for (const row of rows as { index?: unknown; score?: unknown; relevance_score?: unknown }[]) {
      const i = Number(row.index);
      const score = Number(row.relevance_score ?? row.score);
      const c = candidates[i];
      if (!c || !Number.isFinite(score)) throw new RerankRequestError(this.options.url, `a score row is malformed: ${JSON.stringify(row)}`);
      scored.push({ id: c.chunk.id, score });
    }
    return scored.sort((a, b) => b.score - a.score);
  }
}
