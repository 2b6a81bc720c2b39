import type { SearchResponse } from './searcher.js';

/** The JSON body shared by `qbank search --json` and `POST /v1/search`. */
export function searchJson(r: SearchResponse): Omit<SearchResponse, 'timings'> & { timings: SearchResponse['timings'] } {
  return { query: r.query, lang: r.lang, ...(r.translated ? { translated: r.translated } : {}), abstained: r.abstained, results: r.results, timings: r.timings };
}
