import { describe, expect, it } from 'vitest';
import { listItemQuestions, looksLikeQuestion, questionText } from './list-items.js';

describe('looksLikeQuestion', () => {
  it('takes questions and interviewer imperatives, in English and German', () => {
    expect(looksLikeQuestion('How do you evaluate a chatbot?')).toBe(true);
    expect(looksLikeQuestion('Explain ReAct, Reflexion, ReWOO, Toolformer.')).toBe(true);
    expect(looksLikeQuestion('Implement a simple ReAct agent from scratch (Python).')).toBe(true);
    expect(looksLikeQuestion('Entwirf eine RAG-Pipeline von Grund auf.')).toBe(true);
    expect(looksLikeQuestion('Design for 1M users')).toBe(true);
  });

  it('leaves study-plan steps and notes', () => {
    expect(looksLikeQuestion('Read all 52 questions')).toBe(false);
    expect(looksLikeQuestion('MLE: Go deep on architecture, fine-tuning, and RAG.')).toBe(false);
    expect(looksLikeQuestion('Model scaling laws - how performance improves with size')).toBe(false);
  });
});

describe('questionText', () => {
  it('drops footnote marks, surrounding quotes and a remark after the question', () => {
    expect(questionText('"How do you evaluate a chatbot?" (not just build one)')).toBe('How do you evaluate a chatbot?');
    expect(questionText('Design a RAG system. How do you evaluate it? [^process-analysis] (reported across multiple companies)')).toBe('Design a RAG system. How do you evaluate it?');
    expect(questionText('Implement a ReAct agent from scratch (Python).')).toBe('Implement a ReAct agent from scratch (Python).');
  });
});

describe('listItemQuestions', () => {
  it('gives each question item with its exact span', () => {
    const text = 'intro\n### Agents\n- How do agents decide which tool to use? [^a]\n- How do you sandbox tool execution safely?\n1. Design a multi-agent system.\n';
    const items = listItemQuestions(text, 0, text.length);
    expect(items.map((i) => i.text)).toEqual(['How do agents decide which tool to use?', 'How do you sandbox tool execution safely?', 'Design a multi-agent system.']);
    for (const i of items) expect(text.slice(i.start, i.end)).toBe(i.quote);
    expect(items[0]?.quote).toBe('How do agents decide which tool to use? [^a]');
  });

  it('gives nothing for a list that is mostly not questions (a study plan)', () => {
    const text = '• Read all 52 questions\n• Mark each as "Can answer" / "Partially know"\n• Identify your weakest 2 categories\n• Explain each answer aloud?\n';
    expect(listItemQuestions(text, 0, text.length)).toEqual([]);
  });

  it('only looks inside the span', () => {
    const text = '- What is LoRA?\n- What is QLoRA?\n';
    const second = text.indexOf('- What is QLoRA');
    expect(listItemQuestions(text, second, text.length).map((i) => i.text)).toEqual(['What is QLoRA?']);
  });
});
