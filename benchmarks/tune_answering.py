"""Choose the hybrid's answer-scoring weights and abstention threshold on the tuning half; report the test half.

Every question's candidate sentences and their features are computed once (Engine.evidence), then
each weight setting is a matrix product. Weights are chosen on tuning questions only: the shipped
development set, our forums set, the "tune" half of eval/questions_v2.jsonl (split by document) and
eval/questions_tune_extra.jsonl (more questions over the same tuning documents). The "test" half is
scored once, with the chosen weights, and with each new signal removed in turn.

Run: .venv/bin/python benchmarks/tune_answering.py   (needs ../shared/forums/corpus; a few minutes)
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.evaluation import EvalQuestion, load_questions

ROOT = Path(__file__).resolve().parents[1]
SHARED_FORUMS = ROOT.parent / "shared" / "forums" / "corpus"
SIGNALS = ("dense", "chunk_score", "coverage", "soft", "fit", "opening", "novelty")
#: Utility of an outcome: a wrong confident answer is the worst bug, so it costs more than a right one earns
#: (1.5x: answer when the quote is right at least 60% of the time at that confidence).
RIGHT, WRONG, ABSTAIN_ANSWERABLE, ABSTAIN_UNANSWERABLE, ANSWER_UNANSWERABLE = 1.0, -1.5, 0.0, 1.0, -1.5
#: Weight settings whose tuning ranking accuracy is within this of the best are compared on cross-validated
#: utility (choose). Chosen by judgement: about one question in thirty, a few hundred settings.
RANKING_SLACK = 0.03
CV_FOLDS, CV_REPEATS = 5, 5


@dataclass
class Row:
    """One question: per candidate sentence its features, whether it contains the expected answer, and its document."""

    question: EvalQuestion
    features: np.ndarray  # candidates x len(SIGNALS)
    right: np.ndarray  # bool per candidate
    asks: np.ndarray  # bool per candidate: the sentence is itself a question
    spans: list[tuple[str, int, int]]  # per candidate: doc_id, start, end (for the runner-up that does not overlap)


def corpus_v2(folder: Path) -> Path:
    """eval/corpus plus the real exports: the documents eval/questions_v2.jsonl is written over."""
    shutil.copytree(ROOT / "eval" / "corpus", folder)
    for path in SHARED_FORUMS.iterdir():
        shutil.copy(path, folder / path.name)
    return folder


def rows_for(engine: Engine, questions: list[EvalQuestion]) -> list[Row]:
    rows = []
    for question in questions:
        found = engine.evidence(question.q, mode="hybrid")
        texts = [found.snapshot.text(e.doc_id, e.start, e.end).lower() for e in found.sentences]
        features = np.array(
            [
                [max(e.dense, 0.0), min(e.chunk_score, 1.0), e.coverage, e.soft_coverage, e.fit, e.opening, e.novelty]
                for e in found.sentences
            ]
        )
        right = np.array([any(x.lower() in t for x in question.expect) for t in texts], dtype=bool)
        asks = np.array([e.asks for e in found.sentences], dtype=bool)
        spans = [(e.doc_id, e.start, e.end) for e in found.sentences]
        rows.append(Row(question, features.reshape(-1, len(SIGNALS)), right, asks, spans))
    return rows


def outcomes(rows: list[Row], weights: np.ndarray, keep_questions: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Best score per question and setting, and whether that best sentence is right: (questions x settings) each."""
    best = np.zeros((len(rows), len(weights)))
    right = np.zeros((len(rows), len(weights)), dtype=bool)
    for i, row in enumerate(rows):
        usable = np.ones(len(row.right), dtype=bool) if keep_questions else ~row.asks
        if not usable.any():
            continue
        scores = row.features[usable] @ weights.T
        top = scores.argmax(axis=0)
        best[i] = scores[top, np.arange(len(weights))]
        right[i] = row.right[usable][top]
    return best, right


def figures(rows: list[Row], best: np.ndarray, right: np.ndarray, threshold: float) -> dict[str, float]:
    """The eval figures for confidences `best` (per question) and whether each top quote is right."""
    answerable = np.array([r.question.answerable for r in rows])
    answered = best >= threshold
    correct = answered & right & answerable
    return {
        "answer_accuracy": correct.sum() / max(answerable.sum(), 1),
        "false_abstention": (~answered & answerable).sum() / max(answerable.sum(), 1),
        "offtopic_abstention": (~answered & ~answerable).sum() / max((~answerable).sum(), 1),
        "wrong_answers": (answered & ~right & answerable).sum() / max(answerable.sum(), 1),
    }


def utility(rows: list[Row], best: np.ndarray, right: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Total utility per (setting, threshold)."""
    answerable = np.array([r.question.answerable for r in rows])[:, None, None]
    answered = best[:, :, None] >= thresholds[None, None, :]
    good = right[:, :, None]
    value = np.where(
        answerable,
        np.where(answered, np.where(good, RIGHT, WRONG), ABSTAIN_ANSWERABLE),
        np.where(answered, ANSWER_UNANSWERABLE, ABSTAIN_UNANSWERABLE),
    )
    return np.asarray(value.sum(axis=0))


def grid(drop: str | None = None) -> np.ndarray:
    """Weight settings: the positive signals sum to 1, the opening-post penalty comes on top.

    Context stays at 0: it measured worthless once coverage is in (README, Answer quality).
    """
    twentieths = [x / 20 for x in range(21)]
    out = []
    for dense, soft, fit, novelty, opening in itertools.product(
        twentieths[:13], twentieths, twentieths[:7], twentieths[:5], (0.0, -0.05, -0.1, -0.15, -0.2)
    ):
        coverage = 1 - dense - soft - fit - novelty
        dropped = {"soft": soft, "fit": fit, "novelty": novelty, "opening": opening}
        if coverage < -1e-9 or (drop is not None and dropped.get(drop)):
            continue
        out.append((dense, 0.0, coverage, soft, fit, opening, novelty))
    return np.array(out)


def reciprocal_ranks(rows: list[Row], weights: np.ndarray, keep_questions: bool = False) -> np.ndarray:
    """Per setting, the sum over questions of 1 / (rank of the best right candidate); 0 for a question with none."""
    total = np.zeros(len(weights))
    for row in rows:
        usable = np.ones(len(row.right), dtype=bool) if keep_questions else ~row.asks
        right, wrong = row.right & usable, ~row.right & usable
        if not right.any():
            continue
        scores = row.features @ weights.T
        best_right = scores[right].max(axis=0)
        total += 1 / (1 + (scores[wrong] > best_right).sum(axis=0))
    return total


def ranking_candidates(rows: list[Row], drop: str | None = None, keep_questions: bool = False) -> np.ndarray:
    """The settings whose top-ranked sentence is right for nearly as many answerable tuning questions as the best's
    (within RANKING_SLACK), best first; ties on that count go to the higher mean reciprocal rank."""
    answerable = [r for r in rows if r.question.answerable]
    weights = grid(drop)
    batches = range(0, len(weights), 500)
    hits = np.concatenate([outcomes(answerable, weights[i : i + 500], keep_questions)[1].sum(axis=0) for i in batches])
    near = np.flatnonzero(hits >= hits.max() - RANKING_SLACK * len(answerable) - 1e-9)
    ranks = reciprocal_ranks(answerable, weights[near], keep_questions)
    return np.asarray(weights[near[np.lexsort((-ranks, -hits[near]))]])


def ranking_accuracy(rows: list[Row], weights: np.ndarray, keep_questions: bool = False) -> float:
    """Share of answerable questions whose top-ranked sentence is right: what the weights are chosen for."""
    answerable = [r for r in rows if r.question.answerable]
    return float(outcomes(answerable, weights[None, :], keep_questions)[1].mean()) if answerable else 0.0


def calibration_features(row: Row, weights: np.ndarray, keep_questions: bool = False) -> tuple[np.ndarray, bool]:
    """[best score, its dense similarity, margin over the best non-overlapping runner-up, its soft coverage,
    1 when the question wants a type (a name, a date, a number) that the best sentence lacks, 1 when no
    candidate is closer in meaning than the best span (or one overlapping it), the same for soft coverage],
    and right? As forumqa.answer.Calibration.confidence computes them."""
    usable = np.flatnonzero(np.ones(len(row.right), dtype=bool) if keep_questions else ~row.asks)
    if not len(usable):
        return np.zeros(7), False
    scores = row.features[usable] @ weights
    order = usable[np.argsort(-scores, kind="stable")]
    ordered = np.sort(scores)[::-1]
    top = order[0]
    doc, start, end = row.spans[top]
    runner = next((v for i, v in zip(order[1:], ordered[1:], strict=True) if not _overlap(row.spans[i], (doc, start, end))), 0.0)
    soft, fit = row.features[top, SIGNALS.index("soft")], row.features[top, SIGNALS.index("fit")]
    own = np.array([_overlap(row.spans[i], (doc, start, end)) for i in usable])
    dense_agrees, words_agree = (
        float(row.features[usable[own], column].max() >= row.features[usable, column].max()) for column in (0, SIGNALS.index("soft"))
    )
    features = np.array([ordered[0], row.features[top, 0], ordered[0] - runner, soft, float(fit == 0.0), dense_agrees, words_agree])
    return features, bool(row.question.answerable and row.right[top])


def _overlap(a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Intercept and coefficients by Newton's method (a few parameters, a few hundred rows)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (p - y) + l2 * beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.eye(len(beta))
        beta -= np.linalg.solve(hessian, gradient)
    return beta


def probabilities(rows: list[Row], weights: np.ndarray, beta: np.ndarray, keep_questions: bool = False) -> tuple[np.ndarray, np.ndarray]:
    pairs = [calibration_features(r, weights, keep_questions) for r in rows]
    x = np.array([f for f, _ in pairs])
    right = np.array([ok for _, ok in pairs])
    return 1 / (1 + np.exp(-(beta[0] + x @ beta[1:]))), right


def decision_features(
    rows: list[Row], weights: np.ndarray, drop: str | None = None, keep_questions: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Calibration features per question and whether its top quote is right; a dropped calibration signal weighs nothing."""
    pairs = [calibration_features(r, weights, keep_questions) for r in rows]
    x = np.array([f for f, _ in pairs])
    if drop == "fit":
        x[:, 4] = 0.0  # answer-type fit is also the calibration's "type missing": removed, it weighs nothing there either
    if drop == "agreement":
        x[:, 5:7] = 0.0  # a calibration-only signal: the ranking is unchanged
    return x, np.array([ok for _, ok in pairs], dtype=float)


def cross_validated_utility(x: np.ndarray, right: np.ndarray, answerable: np.ndarray, threshold: float) -> float:
    """Utility of answering or abstaining on each question with a calibration fitted without its fold (5 folds, 5 shuffles)."""
    rng = np.random.default_rng(0)
    total = 0.0
    for _ in range(CV_REPEATS):
        order = rng.permutation(len(x))
        for held in np.array_split(order, CV_FOLDS):
            train = np.setdiff1d(order, held)
            beta = fit_logistic(x[train], right[train])
            answered = 1 / (1 + np.exp(-(beta[0] + x[held] @ beta[1:]))) >= threshold
            value = np.where(
                answerable[held],
                np.where(answered, np.where(right[held] > 0, RIGHT, WRONG), ABSTAIN_ANSWERABLE),
                np.where(answered, ANSWER_UNANSWERABLE, ABSTAIN_UNANSWERABLE),
            )
            total += float(value.sum())
    return total / CV_REPEATS


def choose(rows: list[Row], drop: str | None = None, keep_questions: bool = False) -> tuple[np.ndarray, np.ndarray, float]:
    """Ranking weights and the calibration fitted on the same tuning rows, then the probability to answer above.

    Ranking accuracy alone picks among settings that differ by a question or two, and the one it picks
    need not be the one whose scores the calibration can best tell right from wrong (on 330 tuning
    questions the most accurate ranking lost 19 of 157 cross-validated utility points). So every setting
    near the best ranking is scored on the whole decision, cross-validated, and the best of those is kept.
    """
    # With calibrated probabilities the threshold follows from the costs alone (answer when the expected
    # utility p*RIGHT + (1-p)*WRONG beats abstaining's 0); searching it on a few hundred questions overfits.
    threshold = -WRONG / (RIGHT - WRONG)
    answerable = np.array([r.question.answerable for r in rows])
    best: tuple[float, np.ndarray, np.ndarray, np.ndarray] | None = None
    for weights in ranking_candidates(rows, drop, keep_questions):
        x, right = decision_features(rows, weights, drop, keep_questions)
        value = cross_validated_utility(x, right, answerable, threshold)
        if best is None or value > best[0]:  # candidates come best ranking first, so a tie keeps the better ranking
            best = (value, weights, x, right)
    assert best is not None
    _, weights, x, right = best
    return weights, fit_logistic(x, right), threshold


def report(name: str, rows: list[Row], chosen: tuple[np.ndarray, np.ndarray, float], keep_questions: bool = False) -> dict[str, object]:
    weights, beta, threshold = chosen
    p, right = probabilities(rows, weights, beta, keep_questions)
    result: dict[str, object] = {k: round(float(v), 3) for k, v in figures(rows, p, right, threshold).items()}
    result["ranking_accuracy"] = round(ranking_accuracy(rows, weights, keep_questions), 3)
    print(f"  {name:<34} " + "  ".join(f"{k} {v:.3f}" for k, v in result.items()))
    bins = [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01]
    table = []
    for low, high in itertools.pairwise(bins):
        inside = (p >= low) & (p < high)
        if inside.any():
            table.append((f"{low:.1f}-{min(high, 1):.1f}", int(inside.sum()), round(float(right[inside].mean()), 3)))
    result["reliability"] = table
    return result


def collect() -> tuple[list[Row], list[Row]]:
    """Features of every tuning and test question, from a fresh index of each question set's documents."""
    embedder = SentenceTransformerEmbedder()
    tune: list[Row] = []
    test: list[Row] = []
    with TemporaryDirectory() as tmp:
        sets = [
            (ROOT / "documents", [ROOT / "eval/dev_questions.jsonl"]),
            (ROOT / "eval/corpus", [ROOT / "eval/forums_questions.jsonl"]),
            (corpus_v2(Path(tmp) / "v2"), [ROOT / "eval/questions_v2.jsonl", ROOT / "eval/questions_tune_extra.jsonl"]),
        ]
        for number, (documents, files) in enumerate(sets):
            settings = Settings(documents_dir=documents, index_dir=Path(tmp) / f"index-{number}")
            engine = Engine.open(settings, embedder, build_if_missing=True)
            questions = [q for f in files for q in load_questions(f)]
            tune += rows_for(engine, [q for q in questions if q.split != "test"])
            test += rows_for(engine, [q for q in questions if q.split == "test"])
    return tune, test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=Path, help="keep the features in FILE between runs (they depend on the code, not the weights)")
    cache: Path | None = parser.parse_args().rows
    if not SHARED_FORUMS.is_dir():
        sys.exit(f"{SHARED_FORUMS} not found: the v2 question set is written over the real exports there")
    if cache is not None and cache.exists():
        tune, test = pickle.loads(cache.read_bytes())
    else:
        tune, test = collect()
        if cache is not None:
            cache.write_bytes(pickle.dumps((tune, test)))
    print(f"{len(tune)} tuning questions, {len(test)} test questions")
    chosen = choose(tune)
    weights, beta, threshold = chosen
    named = ", ".join(f"{s} {w:.2f}" for s, w in zip(SIGNALS, weights, strict=True))
    print(f"ranking weights chosen on the tuning half: {named}")
    print(
        f"calibration: intercept {beta[0]:.3f}, score {beta[1]:.3f}, dense {beta[2]:.3f}, margin {beta[3]:.3f}, soft {beta[4]:.3f},"
        f" type missing {beta[5]:.3f}, dense agrees {beta[6]:.3f}, words agree {beta[7]:.3f}"
    )
    print(f"answer when P(right) >= {threshold:.2f}")
    results: dict[str, object] = {
        "weights": dict(zip(SIGNALS, weights.tolist(), strict=True)),
        "calibration": beta.tolist(),
        "answer_above": threshold,
    }
    for half, rows in (("tune", tune), ("test", test)):
        print(half)
        results[f"{half}/chosen"] = report("chosen", rows, chosen)
    print("test half, each signal removed (ranking and calibration re-fitted on the tuning half without it)")
    for signal in ("soft", "fit", "opening", "novelty", "agreement"):
        results[f"test/without {signal}"] = report(f"without {signal}", test, choose(tune, drop=signal))
    results["test/questions quotable"] = report("with questions quotable as answers", test, choose(tune, keep_questions=True), True)
    out = ROOT / "benchmarks" / "results" / "tune_answering.json"
    out.write_text(json.dumps(results, indent=2, default=float))
    print(f"written {out.relative_to(ROOT)}; put the weights and calibration into forumqa.answer (WEIGHTS, CALIBRATION)")


if __name__ == "__main__":
    main()
