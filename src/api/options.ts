/**
 * Settings of the HTTP API, validated once in `config.ts` (`config.server`).
 *
 * @example
 * const options: ApiOptions = {
 *   port: 8787, host: '127.0.0.1', corsOrigins: ['https://notes.example.org'],
 *   rateLimit: { perMinute: 120, burst: 30 }, bodyLimitBytes: 65_536,
 * };
 */
export interface ApiOptions {
  /** TCP port, 0–65535 (0 picks a free one). Default 8787 (`PORT`). */
  port: number;
  /** Interface to listen on. Default `127.0.0.1`: loopback only (`HOST`). */
  host: string;
  /** When set, every `/v1/*` request must carry it (`Authorization: Bearer …` or `X-API-Key`). `QBANK_API_KEY`. */
  apiKey?: string | undefined;
  /** Origins allowed to call `/v1/*` from a browser (the widget on another site), e.g. `https://blog.example.org`. Default none (`QBANK_CORS_ORIGINS`, comma-separated). */
  corsOrigins: string[];
  /**
   * Token bucket per client (API key, else IP address): `perMinute` tokens a minute, at most
   * `burst` saved up. perMinute 0–1,000,000, 0 turns limiting off; default 120 (`QBANK_RATE_LIMIT_PER_MIN`).
   * burst 1–100,000, default 30 (`QBANK_RATE_LIMIT_BURST`).
   */
  rateLimit: { perMinute: number; burst: number };
  /** Largest request body, bytes, 1 KiB–10 MiB. Default 65,536 (`QBANK_BODY_LIMIT_BYTES`). */
  bodyLimitBytes: number;
  /**
   * Search responses and extractive answers kept for repeated requests (emptied when the index
   * changes), 0–100,000; 0 turns the cache off. Default 1000 (`QBANK_RESPONSE_CACHE_ENTRIES`).
   */
  responseCacheEntries: number;
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  port: 8787,
  host: '127.0.0.1',
  corsOrigins: [],
  rateLimit: { perMinute: 120, burst: 30 },
  bodyLimitBytes: 64 * 1024,
  responseCacheEntries: 1000,
};
