import { Worker } from 'node:worker_threads';

/** A transformers.js model as the model thread loads it. */
export interface ModelSpec {
  model: string;
  /** Directory holding `<model>/config.json`, the tokenizer and `onnx/model_<dtype>.onnx`. */
  modelPath?: string;
  dtype: string;
  allowRemote: boolean;
}

/** The spec of a model from its adapter's options (remote download off unless asked for). */
export function modelSpec(o: { model: string; modelPath?: string | undefined; dtype: string; allowRemote?: boolean | undefined }): ModelSpec {
  return { model: o.model, dtype: o.dtype, allowRemote: o.allowRemote ?? false, ...(o.modelPath ? { modelPath: o.modelPath } : {}) };
}

/** One embedding pass's output: `rows` vectors of `dims` numbers, row after row. */
export interface PassOutput {
  data: Float32Array;
  rows: number;
  dims: number;
}

/** Why a model-thread job failed: `load` (the model could not be loaded) or `run`. */
export class ModelThreadError extends Error {
  constructor(readonly stage: 'load' | 'run', message: string) {
    super(message);
    this.name = 'ModelThreadError';
  }
}

/**
 * The worker's code. It needs nothing of qbank's, only transformers.js (its URL comes in
 * `workerData`), so it runs as an eval'd script both from the compiled CLI and from the
 * TypeScript sources under vitest. Models load one at a time (transformers.js keeps the model
 * directory in a global) and stay loaded; each job is one forward pass, whose numbers go back
 * in a transferred buffer.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const transformers = import(workerData.transformersUrl);
const models = new Map();
let loads = Promise.resolve();
function loadError(e) { const err = new Error(String((e && e.message) || e)); err.stage = 'load'; return err; }
function load(kind, spec) {
  const key = JSON.stringify([kind, spec.model, spec.modelPath || '', spec.dtype, spec.allowRemote]);
  if (!models.has(key)) {
    const loading = loads.then(async () => {
      const t = await transformers;
      t.env.allowRemoteModels = spec.allowRemote;
      t.env.allowLocalModels = true;
      if (spec.modelPath) t.env.localModelPath = spec.modelPath.endsWith('/') ? spec.modelPath : spec.modelPath + '/';
      if (kind === 'embed') return { extractor: await t.pipeline('feature-extraction', spec.model, { dtype: spec.dtype }) };
      const tokenizer = await t.AutoTokenizer.from_pretrained(spec.model);
      const model = await t.AutoModelForSequenceClassification.from_pretrained(spec.model, { dtype: spec.dtype });
      return { tokenizer, model };
    });
    loads = loading.catch(() => {});
    // A failed load is not kept: the next job tries again (the files may have been put in place).
    loading.catch(() => { if (models.get(key) === loading) models.delete(key); });
    models.set(key, loading);
  }
  return models.get(key).catch((e) => { throw loadError(e); });
}
parentPort.on('message', async (job) => {
  try {
    if (job.op === 'embed') {
      const { extractor } = await load('embed', job.spec);
      const out = await extractor(job.texts, { pooling: 'mean', normalize: true });
      const data = new Float32Array(out.data);
      parentPort.postMessage({ id: job.id, data, rows: out.dims[0], dims: out.dims[1] }, [data.buffer]);
    } else {
      const { tokenizer, model } = await load('cross', job.spec);
      const inputs = tokenizer(job.queries, { text_pair: job.passages, padding: true, truncation: true });
      const { logits } = await model(inputs);
      const width = logits.dims[logits.dims.length - 1] || 1;
      const data = new Float32Array(job.queries.length);
      for (let i = 0; i < data.length; i++) data[i] = Number(logits.data[i * width + (width - 1)]);
      parentPort.postMessage({ id: job.id, data, rows: data.length, dims: 1 }, [data.buffer]);
    }
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: { stage: e && e.stage === 'load' ? 'load' : 'run', message: String((e && e.message) || e) } });
  }
});
`;

type Job = { id: number; op: 'embed'; spec: ModelSpec; texts: string[] } | { id: number; op: 'cross'; spec: ModelSpec; queries: string[]; passages: string[] };
type Reply = { id: number; data: Float32Array; rows: number; dims: number } | { id: number; error: { stage: 'load' | 'run'; message: string } };

/**
 * The process's one thread for ONNX models (the embedder, and a cross-encoder when one is
 * configured), run with transformers.js. ONNX Runtime computes a forward pass synchronously on
 * the thread that calls it; here that is not the event loop's thread, so a server keeps
 * answering (health checks, cached queries, other requests' database work) while a model
 * computes, and both cores work at once.
 *
 * One thread, started on first use and never stopped: onnxruntime-node's native binding keeps
 * per-process state, and aborts the process when two threads use it or when it is loaded again
 * after a thread that loaded it ended. An idle thread does not keep the process alive; a job
 * in flight does (a CLI awaiting vectors).
 *
 * @example
 * const { data, rows, dims } = await ModelThread.shared().embed(spec, ['explain GQA vs MQA']);
 */
export class ModelThread {
  static #shared: ModelThread | undefined;

  /** The process's model thread, started on first use (again, if the last one died). */
  static shared(): ModelThread {
    if (!ModelThread.#shared || ModelThread.#shared.#failed) ModelThread.#shared = new ModelThread();
    return ModelThread.#shared;
  }

  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (o: PassOutput) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #failed: Error | undefined;

  private constructor() {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { transformersUrl: import.meta.resolve('@huggingface/transformers') },
      stdout: false,
      stderr: false,
    });
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => {
      const waiter = this.#waiting.get(m.id);
      if (!waiter) return;
      this.#settle(m.id);
      if ('error' in m) waiter.reject(new ModelThreadError(m.error.stage, m.error.message));
      else waiter.resolve({ data: m.data, rows: m.rows, dims: m.dims });
    });
    const fail = (error: Error) => {
      this.#failed ??= error;
      for (const [id, waiter] of [...this.#waiting]) {
        this.#settle(id);
        waiter.reject(new ModelThreadError('run', `the model thread stopped: ${error.message}`));
      }
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  }

  /** Mean-pooled unit-length embeddings of `texts`, in one forward pass. */
  embed(spec: ModelSpec, texts: readonly string[]): Promise<PassOutput> {
    return this.#send({ id: this.#nextId++, op: 'embed', spec, texts: [...texts] });
  }

  /** A cross-encoder's relevance logit of each (query, passage) pair, in one forward pass (`dims` 1). */
  crossEncode(spec: ModelSpec, queries: readonly string[], passages: readonly string[]): Promise<PassOutput> {
    if (queries.length !== passages.length) return Promise.reject(new RangeError(`crossEncode needs one query per passage, not ${queries.length} for ${passages.length}.`));
    return this.#send({ id: this.#nextId++, op: 'cross', spec, queries: [...queries], passages: [...passages] });
  }

  #send(job: Job): Promise<PassOutput> {
    if (this.#failed) return Promise.reject(new ModelThreadError('run', `the model thread stopped: ${this.#failed.message}`));
    return new Promise<PassOutput>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(job.id, { resolve, reject });
      this.#worker.postMessage(job);
    });
  }

  #settle(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
  }
}
