/** How well the system abstains: on unanswerable items it should, on answerable ones it should not. */
export interface AbstentionFigures {
  /** Abstentions that were right: unanswerable items abstained on / all abstentions. NaN with no abstention. */
  precision: number;
  /** Unanswerable items abstained on / unanswerable items. NaN with no unanswerable item. */
  recall: number;
  /** Answerable items abstained on / answerable items. NaN with no answerable item. */
  falseAbstainRate: number;
  unanswerable: number;
  answerable: number;
}

/** Abstention precision, recall and false-abstain rate over (answerable, abstained) pairs. */
export function abstention(runs: readonly { answerable: boolean; abstained: boolean }[]): AbstentionFigures {
  const un = runs.filter((r) => !r.answerable);
  const an = runs.filter((r) => r.answerable);
  const tp = un.filter((r) => r.abstained).length;
  const fp = an.filter((r) => r.abstained).length;
  return {
    precision: tp + fp === 0 ? Number.NaN : tp / (tp + fp),
    recall: un.length === 0 ? Number.NaN : tp / un.length,
    falseAbstainRate: an.length === 0 ? Number.NaN : fp / an.length,
    unanswerable: un.length,
    answerable: an.length,
  };
}
