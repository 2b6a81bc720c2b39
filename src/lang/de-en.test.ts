import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { DeEnTranslator, deinflections, defaultDictPath, findPackageRoot, isLikelyGerman } from './de-en.js';

const t = DeEnTranslator.load();

/** English words of a translation, lower-cased. */
function words(text: string): string[] {
  return text.toLowerCase().split(/[\s/]+/).filter(Boolean);
}

/** Does the translation contain every expected word (as a word or word prefix: "reduc" matches "reduced")? */
function expectWords(german: string, expected: string[]): void {
  const out = t.translate(german).text;
  const ws = words(out);
  for (const e of expected) {
    expect(
      ws.some((w) => w === e.toLowerCase() || w.startsWith(e.toLowerCase())),
      `"${german}" → "${out}" lacks "${e}"`,
    ).toBe(true);
  }
}

describe('DeEnTranslator.load', () => {
  it('finds the dictionary relative to the package root', () => {
    const path = defaultDictPath();
    expect(existsSync(path)).toBe(true);
    expect(path.endsWith(join('data', 'de-en-dict.json.gz'))).toBe(true);
    const root = findPackageRoot(new URL('.', import.meta.url));
    expect(existsSync(join(root, 'package.json'))).toBe(true);
    expect(path).toBe(join(root, 'data', 'de-en-dict.json.gz'));
  });

  it('resolves the same root from the compiled layout dist/src/lang/', () => {
    const root = findPackageRoot(new URL('.', import.meta.url));
    const compiled = join(root, 'dist', 'src', 'lang', 'de-en.js'); // need not exist
    expect(findPackageRoot(compiled)).toBe(root);
    expect(findPackageRoot(fileURLToPath(new URL('./de-en.ts', import.meta.url)))).toBe(root);
  });

  it('loads lazily, caches per path and carries attribution', () => {
    const a = DeEnTranslator.load();
    const b = DeEnTranslator.load(defaultDictPath());
    expect(a.size).toBeGreaterThan(100_000);
    expect(b.size).toBe(a.size);
    expect(a.source).toMatch(/Ding/);
    expect(a.lookup('Modell')).toContain('model');
  });

  it('fails clearly on a missing file', () => {
    const missing = DeEnTranslator.load('/nonexistent/de-en-dict.json.gz');
    expect(() => missing.translate('Hallo Welt')).toThrow();
  });
});

describe('translate: interview questions (German lines of corpus/000 and similar)', () => {
  const cases: [string, string[]][] = [
    ['Wie reduziert man die Inferenzkosten eines 70B-Modells?', ['reduc', 'inference', 'cost', 'model', '70B']],
    ['Was ist der Unterschied zwischen LoRA und QLoRA?', ['difference', 'between', 'LoRA', 'QLoRA']],
    [
      'Entwirf eine Retrieval-Augmented Generation (RAG) Pipeline von Grund auf (Vektor-DB-Auswahl, Chunking, Reranking, Hybrid-Suche, Evaluation).',
      ['design', 'retrieval-augmented', 'generation', 'RAG', 'pipeline', 'scratch', 'vector', 'DB', 'selection', 'chunking', 'hybrid', 'search', 'evaluation'],
    ],
    ['Wie verhinderst du Endlosschleifen in der Agenten-Ausführung?', ['loop', 'agent', 'execution']],
    [
      'Wie würdest du einem Agenten Langzeitgedächtnis hinzufügen (Vektor-Store vs. Key-Value-Store vs. episodisches Gedächtnis)?',
      ['agent', 'long-term', 'memory', 'add', 'vector', 'store', 'key-value-store'],
    ],
    ['Was verursacht "Lost in the Middle" in Long-Context-Modellen? Wie behebst du es?', ['lost', 'middle', 'long', 'context', 'model']],
    ['Wie funktioniert Quantisierung (GPTQ, AWQ, SmoothQuant, bitsandbytes) tatsächlich?', ['quantization', 'GPTQ', 'AWQ', 'bitsandbytes', 'actually']],
    ['Wie würdest du ein Multi-Agenten-System aufbauen, in dem Agenten zusammenarbeiten?', ['multi', 'agent', 'system', 'build']],
    ['Vergleiche vLLM, TGI, TensorRT-LLM, lmdeploy, Outlines, Guidance hinsichtlich Inferenzgeschwindigkeit.', ['compare', 'vLLM', 'TensorRT-LLM', 'inference', 'speed']],
    ['Beschreibe eine Situation, in der du die Inferenzkosten um >50% reduziert hast.', ['describe', 'situation', 'inference', 'cost', 'reduc']],
    ['Optimiere einen Transformer-Forward-Pass für 128k Context (Memory Efficient).', ['optimiz', 'transformer', 'forward', 'pass', '128k', 'context', 'memory']],
    ['Implementiere einen einfachen ReAct-Agenten von Grund auf (Python).', ['implement', 'simple', 'ReAct', 'agent', 'scratch', 'python']],
    ['Erkläre, wie Attention von Grund auf funktioniert.', ['explain', 'attention', 'scratch']],
    ['Warum verwendet Llama 3/4 RoPE anstelle von ALiBi? Vor- und Nachteile.', ['use', 'llama', 'RoPE', 'instead', 'ALiBi', 'advantage', 'disadvantage']],
    ['Leite die Transformer-Loss-Funktion her und erkläre, warum wir Padding-Tokens ignorieren.', ['deriv', 'transformer', 'loss', 'function', 'explain', 'padding-tokens']],
    ['Wie führst du kontinuierliches Fine-Tuning / Online Learning sicher durch?', ['carry', 'continuous', 'fine-tuning', 'online', 'learning']],
    ['Bereite dich darauf vor, System-Design am Whiteboard zu entwerfen.', ['prepare', 'system', 'design', 'whiteboard']],
    ['Welche Vektordatenbank eignet sich für hybride Suche?', ['vector', 'database', 'hybrid', 'search']],
    ['Wie bestimmt man den Schwierigkeitsgrad einer Interviewfrage?', ['difficulty', 'interview', 'question']],
    ['Wie erkennt man Halluzinationen in den Antworten eines Sprachmodells?', ['hallucination', 'answer', 'language', 'model']],
  ];
  for (const [german, expected] of cases) {
    it(german, () => expectWords(german, expected));
  }

  it('keeps the query compact (no stopwords, no duplicates)', () => {
    const out = t.translate('Was ist der Unterschied zwischen LoRA und QLoRA?').text;
    expect(words(out)).not.toContain('der');
    expect(words(out)).not.toContain('und');
    expect(words(out).length).toBeLessThanOrEqual(5);
    const ws = words(t.translate('Agenten, Agenten und noch mehr Agenten').text);
    expect(new Set(ws).size).toBe(ws.length);
  });
});

describe('translate: tokens', () => {
  it('keeps technical terms, acronyms, numbers and English words unchanged', () => {
    const out = t.translate('LoRA RAG 70B p99 Transformer Fine-Tuning GQA vs MQA PyTorch vLLM C++ 10k+').text;
    for (const term of ['LoRA', 'RAG', '70B', 'p99', 'Transformer', 'Fine-Tuning', 'GQA', 'vs', 'MQA', 'PyTorch', 'vLLM', 'C++', '10k+']) {
      expect(words(out)).toContain(term.toLowerCase());
    }
  });

  it('splits compounds with linking morphemes', () => {
    expect(t.translate('Inferenzkosten').text).toMatch(/inference.*cost/);
    expect(t.translate('Schwierigkeitsgrad').text).toMatch(/difficult/);
    expect(t.translate('Vektordatenbank').text).toMatch(/vector.*database/);
    expect(t.translate('Qualitätsverlust').text).toMatch(/degradation|quality|loss/);
    expect(t.translate('Trainingsdaten').text).toMatch(/training.*data/);
  });

  it('translates hyphenated words per part, keeping English parts', () => {
    expect(t.translate('Multi-Agenten-System').text).toMatch(/multi.*agent.*system/i);
    expect(t.translate('Retrieval-Augmented').text).toBe('Retrieval-Augmented');
    expect(t.translate('Agenten-Aufgaben').text).toMatch(/agent.*task/);
    expect(t.translate('5–10-fache').text).toMatch(/fold/);
  });

  it('de-inflects (endings, umlauts, verb forms)', () => {
    expect(t.translate('Modellen').text).toMatch(/model/);
    expect(t.translate('Was sind Entscheidungsbäume?').text).toMatch(/decision tree/);
    expect(t.translate('Wie viele Wörter passen in das Kontextfenster?').text).toMatch(/words.*context window/);
    expect(t.translate('Wie reduzierst du das?').text).toMatch(/reduc/);
    expect(t.translate('Entwirf ein System').text).toMatch(/design/);
    expect(t.translate('Erkläre Attention').text).toMatch(/explain/);
  });

  it('joins separable verbs ("Leite ... her" → herleiten)', () => {
    const r = t.translate('Leite die Scaling Laws her.');
    expect(r.text).toMatch(/deriv|deduc/);
    expect(r.tokens.map((x) => x.de)).toContain('Leite … her');
  });

  it('finds multi-word terms', () => {
    expect(t.translate('Was sind neuronale Netze?').text).toMatch(/neural network/);
    expect(t.translate('von Grund auf').text).toMatch(/scratch|ground/);
  });

  it('returns the content tokens with their renderings', () => {
    const r = t.translate('Wie reduziert man die Inferenzkosten?');
    expect(r.tokens.map((x) => x.de)).toEqual(['reduziert', 'Inferenzkosten']);
    for (const tok of r.tokens) expect(tok.en.length).toBeGreaterThan(0);
  });

  it('can add a second translation', () => {
    const one = t.translate('Wie reduziert man die Kosten eines Modells?');
    const two = t.translate('Wie reduziert man die Kosten eines Modells?', { alternatives: 2 });
    expect(words(two.text).length).toBeGreaterThanOrEqual(words(one.text).length);
  });

  it('handles empty and non-German input', () => {
    expect(t.translate('').text).toBe('');
    expect(t.translate('   ?! ').tokens).toEqual([]);
    expect(t.translate('GQA vs MQA').text).toBe('GQA vs MQA');
  });
});

describe('deinflections', () => {
  it('proposes base forms', () => {
    expect(deinflections('modellen')).toContain('modell');
    expect(deinflections('reduzierst')).toContain('reduzieren');
    expect(deinflections('größten')).toContain('größt');
    expect(deinflections('bäume')).toContain('baum');
    expect(deinflections('entwirf')).toContain('entwerfen');
    expect(deinflections('skalierendes')).toContain('skalieren');
  });
});

describe('isLikelyGerman', () => {
  const german = [
    'Wie reduziert man die Inferenzkosten eines 70B-Modells?',
    'Was ist der Unterschied zwischen LoRA und QLoRA?',
    'Warum verwendet Llama RoPE anstelle von ALiBi?',
    'Erkläre ReAct, Reflexion und Toolformer.',
    'Vor- und Nachteile von RoPE',
    'Wie funktioniert Attention in Transformern?',
    'Welche Metriken eignen sich für RAG?',
    'Was ist RAG?',
    'Beschreibe eine Situation, in der du die Inferenzkosten reduziert hast.',
    'Größe des KV-Caches bei langen Kontexten',
  ];
  const english = [
    'How do you reduce inference cost of a 70B model?',
    'What is the difference between LoRA and QLoRA?',
    'GQA vs MQA',
    'LoRA QLoRA DoRA',
    'RAG',
    '',
    'What is the Zeitgeist of RAG evaluation?',
    'How does the Schrödinger bridge relate to diffusion models?',
    'Explain the Kindergarten approach to curriculum learning',
    'Why do neurons die in ReLU networks?',
    'What was the main idea of Attention Is All You Need?',
    'Is Mistral better than Llama for German (Deutsch) tasks?',
    'Bitte', // a single German word is too little evidence
    'see https://example.com/ein/die/und/der',
  ];
  for (const q of german) it(`German: ${q}`, () => expect(isLikelyGerman(q)).toBe(true));
  for (const q of english) it(`not German: ${q || '(empty)'}`, () => expect(isLikelyGerman(q)).toBe(false));
});

describe('DeEnTranslator.isGerman (with dictionary evidence)', () => {
  it('catches keyword queries without function words', () => {
    expect(t.isGerman('Inferenzkosten senken')).toBe(true);
    expect(t.isGerman('Unterschied LoRA QLoRA')).toBe(true);
    expect(t.isGerman('Was verursacht "Lost in the Middle" in Long-Context-Modellen?')).toBe(true);
  });
  it('stays false for English and keyword queries', () => {
    expect(t.isGerman('GQA vs MQA')).toBe(false);
    expect(t.isGerman('transformer attention scaling')).toBe(false);
    expect(t.isGerman('How does the Kindergarten effect work?')).toBe(false);
    expect(t.isGerman('What is the Zeitgeist of RAG evaluation?')).toBe(false);
  });
});
