"""Train the reader (`qa/reader.py`) on KorQuAD 1.0 dev, split by article, and write its card.

    python -m reportqa.lab.train_reader train [--epochs 1] [--seed 13] [--out qa/reader]
    python -m reportqa.lab.train_reader evaluate [--reader-weight 1]   (0: the answers as shipped)

The split is fixed by title-hash order (`lab/korquad_answers.title_order`): the first
`HELD_OUT_ARTICLES` articles are never trained on and report the figures (they include the 8- and
12-article samples every other KorQuAD answer figure uses), the next `TUNE_ARTICLES` choose the
epoch, the rest train. Each split is indexed on its own, like user files, so no article's text is
seen while training on another split.

Pairs are what the answer path asks the reader about: for each question, the best candidate
sentences of its retrieved chunks (`RETRIEVED`), a few other sentences of its gold paragraph
(`SIBLINGS`) and the best of chunks retrieved from other articles only (`ELSEWHERE`: nothing there
answers, so the reader learns to abstain). A sentence holding the gold answer is a positive.

The bottom layers stay the bundled embedder's: their states are computed once, and only the top
layers and the head train (fast on a CPU, and only they ship). KorQuAD is read in place and no
derived data is written (its licence forbids altered copies).
"""
from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import numpy as np
from reportqa.index.embedder import Embedder, load_embedder
from reportqa.index.onnx_embedder import padded
from reportqa.index.search import Searcher
from reportqa.index.tokenize import bm25_tokens
from reportqa.lab.korquad import default_path, read_squad
from reportqa.lab.korquad_answers import AnswerSample, sample_index, sample_titles, score_answers, title_order
from reportqa.qa.answer import AnswerConfig, Answerer
from reportqa.qa.evidence import SentenceTable
from reportqa.qa.reader import READER_DIR, ReaderCard, base_classifier, prompted, reader_tokenizer, row_pair, save_trained
from tqdm import tqdm

log = logging.getLogger(__name__)

HELD_OUT_ARTICLES = 20
TUNE_ARTICLES = 10
RETRIEVED = 5  # best candidates of the question's own retrieval
SIBLINGS = 1  # other sentences of the gold paragraph
ELSEWHERE = 2  # best candidates when only other articles are searched
HITS = 5


@dataclass(frozen=True)
class Pair:
    question_id: str
    question: str
    passage: str
    label: float
    kind: str  # "retrieved", "sibling" or "elsewhere"


@dataclass(frozen=True)
class Settings:
    seed: int = 13
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 5e-5
    first_trained_layer: int = 8


def split(titles: Sequence[str]) -> dict[str, list[str]]:
    """held_out, tune and train titles, by title-hash order."""
    held, tune = HELD_OUT_ARTICLES, HELD_OUT_ARTICLES + TUNE_ARTICLES
    return {"held_out": list(titles[:held]), "tune": list(titles[held:tune]), "train": list(titles[tune:])}


def make_pairs(answer_sample: AnswerSample, embedder: Embedder, seed: int, progress: bool = True) -> list[Pair]:
    """The reader's questions about one split (see the module's docstring)."""
    data = sample_index(answer_sample, embedder, progress)
    searcher = Searcher(data, embedder)
    table = SentenceTable.of(searcher.store, data.documents)
    article = {doc_id: d.title for doc_id, d in data.documents.items()}
    rng = random.Random(seed)
    vectors = searcher.embed([g.question for g in answer_sample.golds])
    pairs: list[Pair] = []
    for gold, vector in tqdm(list(zip(answer_sample.golds, vectors)), desc="reader pairs", unit="q", disable=not progress):
        tokens = bm25_tokens(gold.question)
        gold_rows = table.rows_within(gold.doc_id, gold.start, gold.end)
        gold_text = "".join(table.text(r) for r in gold_rows)

        def answers(row: int) -> bool:
            # KorQuAD repeats some paragraphs nearly unchanged: the same sentence there answers too.
            return row in gold_rows or (bool(gold_text) and gold_text in table.text(row))

        retrieved = table.score(vector, tokens, searcher.rank(gold.question, vector, HITS, "hybrid"))[:RETRIEVED]
        siblings = [r for r in table.rows_within(gold.doc_id, 0, len(data.documents[gold.doc_id].text)) if r not in gold_rows]
        others = [d for d in data.documents if article[d] != article[gold.doc_id]]
        elsewhere = table.score(vector, tokens, searcher.rank(gold.question, vector, HITS, "hybrid", others))[:ELSEWHERE]
        chosen: dict[int, str] = {}
        for c in retrieved:  # first, best first: the order today's choice gives them
            chosen.setdefault(c.position, "retrieved")
        for row in gold_rows:
            chosen.setdefault(row, "gold")
        for row in rng.sample(siblings, min(SIBLINGS, len(siblings))):
            chosen.setdefault(row, "sibling")
        for c in elsewhere:
            chosen.setdefault(c.position, "elsewhere")
        for row, kind in chosen.items():
            question, passage = row_pair(gold.question, table, row)
            label = 0.0 if kind == "elsewhere" else float(answers(row))
            pairs.append(Pair(gold.id, question, passage, label, kind))
    return pairs


def _encoded(pairs: list[Pair], tokenizer) -> list[list[int]]:
    return [e.ids for e in tokenizer.encode_batch([prompted((p.question, p.passage)) for p in pairs])]


def _through(layers, hidden, mask):
    """`hidden` after `layers`, attending only where `mask` is 1 (BERT's additive mask, as its own forward makes it)."""
    import torch

    extended = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for layer in layers:
        hidden = layer(hidden, attention_mask=extended)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    return hidden


def frozen_states(model, ids: list[list[int]], first: int, progress: bool) -> list:
    """Each pair's hidden states after the frozen bottom `first` layers (float16, unpadded)."""
    import torch

    bert = model.bert
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    states: list = [None] * len(ids)
    with torch.inference_mode():
        for at in tqdm(range(0, len(order), 64), desc="frozen layers", unit="batch", disable=not progress):
            rows = order[at : at + 64]
            tokens, mask = (torch.from_numpy(a) for a in padded([ids[i] for i in rows]))
            hidden = _through(bert.encoder.layer[:first], bert.embeddings(input_ids=tokens, token_type_ids=torch.zeros_like(tokens)), mask)
            for row, i in enumerate(rows):
                states[i] = hidden[row, : len(ids[i])].to(torch.float16).clone()
    return states


def top_logits(model, states: list, first: int):
    """Logits of the trainable top: layers from `first` on, the pooler and the classifier."""
    import torch

    width = max(s.shape[0] for s in states)
    hidden = torch.zeros((len(states), width, states[0].shape[1]))
    mask = torch.zeros((len(states), width), dtype=torch.long)
    for row, s in enumerate(states):
        hidden[row, : s.shape[0]] = s.float()
        mask[row, : s.shape[0]] = 1
    hidden = _through(model.bert.encoder.layer[first:], hidden, mask)
    return model.classifier(model.bert.pooler(hidden)).squeeze(-1)


def predict(model, states: list, first: int) -> np.ndarray:
    import torch

    order = sorted(range(len(states)), key=lambda i: states[i].shape[0])
    out = np.zeros(len(states), dtype=np.float32)
    model.eval()
    with torch.inference_mode():
        for at in range(0, len(order), 128):
            rows = order[at : at + 128]
            out[rows] = torch.sigmoid(top_logits(model, [states[i] for i in rows], first)).numpy()
    return out


def figures(pairs: list[Pair], probabilities: np.ndarray) -> dict[str, float]:
    """Per question: is the best-scored of its retrieved candidates a positive (when one is among them);
    and how well the best score separates those questions from the same questions searched elsewhere."""
    by_question: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_question.setdefault(p.question_id, []).append(i)
    top1, answered, answerless = [], [], []
    for rows in by_question.values():
        own = [i for i in rows if pairs[i].kind == "retrieved"]
        away = [i for i in rows if pairs[i].kind == "elsewhere"]
        if any(pairs[i].label for i in own):
            best = max(own, key=lambda i: probabilities[i])
            top1.append(pairs[best].label)
            answered.append(float(probabilities[best]))
        if away:
            answerless.append(float(max(probabilities[i] for i in away)))
    a, b = np.array(answered), np.array(answerless)
    auc = float((a[:, None] > b[None, :]).mean() + 0.5 * (a[:, None] == b[None, :]).mean()) if len(a) and len(b) else float("nan")
    return {"top1": float(np.mean(top1)), "abstain_auc": auc, "questions": float(len(by_question)), "pairs": float(len(pairs))}


def train(settings: Settings, out: Path, progress: bool = True) -> ReaderCard:
    import torch

    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    path = default_path()
    squad = read_squad(path)
    parts = split(title_order(squad))
    embedder = load_embedder()
    pairs = {
        name: make_pairs(sample_titles(squad, path, titles, f"{squad.name}-reader-{name}"), embedder, settings.seed, progress)
        for name, titles in parts.items()
    }
    model = base_classifier()
    tokenizer = reader_tokenizer()
    first = settings.first_trained_layer
    states = {name: frozen_states(model, _encoded(p, tokenizer), first, progress) for name, p in pairs.items()}
    for parameter in model.parameters():
        parameter.requires_grad = False
    trained = [*model.bert.encoder.layer[first:].parameters(), *model.bert.pooler.parameters(), *model.classifier.parameters()]
    for parameter in trained:
        parameter.requires_grad = True
    optimiser = torch.optim.AdamW(trained, lr=settings.learning_rate, weight_decay=0.01)
    train_states, labels = states["train"], torch.tensor([p.label for p in pairs["train"]])
    steps = settings.epochs * ((len(train_states) + settings.batch_size - 1) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: max(0.0, 1.0 - step / steps) * min(1.0, step / (0.06 * steps + 1)))
    loss_of = torch.nn.BCEWithLogitsLoss()
    best_tune, best_state, history = -1.0, None, []
    started = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        model.train()
        order = np.random.permutation(len(train_states))
        for at in tqdm(range(0, len(order), settings.batch_size), desc=f"epoch {epoch}", unit="batch", disable=not progress):
            rows = order[at : at + settings.batch_size]
            loss = loss_of(top_logits(model, [train_states[i] for i in rows], first), labels[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        tune = figures(pairs["tune"], predict(model, states["tune"], first))
        history.append({"epoch": epoch, **tune})
        log.info("epoch %d: tune %s", epoch, tune)
        chosen_by = tune["top1"] + np.nan_to_num(tune["abstain_auc"])
        if chosen_by > best_tune:
            best_tune = chosen_by
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)
    held_out = figures(pairs["held_out"], predict(model, states["held_out"], first))
    card = ReaderCard(
        first_trained_layer=first,
        training=asdict(settings),
        split=parts,
        pairs={name: len(p) for name, p in pairs.items()},
        tune=history,
        held_out=held_out,
        baseline_held_out=figures(pairs["held_out"], order_scores(pairs["held_out"]))["top1"],
        train_seconds=round(time.perf_counter() - started, 1),
    )
    save_trained(model, card, out)
    return card


def order_scores(pairs: list[Pair]) -> np.ndarray:
    """Today's choice as scores: the pairs' order within a question (retrieved candidates come best first)."""
    scores, seen = np.zeros(len(pairs), dtype=np.float32), {}
    for i, p in enumerate(pairs):
        seen[p.question_id] = seen.get(p.question_id, 0) + 1
        scores[i] = -seen[p.question_id] if p.kind == "retrieved" else -1000.0
    return scores


def pipeline_figures(config: AnswerConfig, progress: bool = True) -> dict[str, dict[str, float]]:
    """Answers to the held-out articles' questions end to end and given the gold paragraph, over an
    index of all 140 articles (the other articles' paragraphs are distractors) and over one of the
    held-out articles alone."""
    path = default_path()
    squad = read_squad(path)
    titles = title_order(squad)
    held_out = split(titles)["held_out"]
    embedder = load_embedder()
    out = {}
    for name, indexed in (("all articles indexed", titles), ("held-out articles indexed", held_out)):
        answer_sample = sample_titles(squad, path, indexed, f"{squad.name}-answers-{len(indexed)}")
        answerer = Answerer(Searcher(sample_index(answer_sample, embedder, progress), embedder), config)
        held_docs = {d.doc_id for d in answer_sample.documents if d.title in set(held_out)}
        golds = [g for g in answer_sample.golds if g.doc_id in held_docs]
        e2e = score_answers(answerer, golds, given_gold=False, progress=progress)
        given = score_answers(answerer, golds, given_gold=True, progress=progress)
        out[name] = {"questions": len(golds), "end to end": e2e["answer_accuracy"], "refused": e2e["refused"], "given gold": given["answer_accuracy"]}
    return out


@click.group()
def main() -> None:
    """Train the reader on KorQuAD (split by article), or measure the answers it gives."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command("train")
@click.option("--epochs", default=Settings.epochs, show_default=True)
@click.option("--seed", default=Settings.seed, show_default=True)
@click.option("--first-trained-layer", default=Settings.first_trained_layer, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=READER_DIR, show_default=True)
def train_command(epochs: int, seed: int, first_trained_layer: int, out: Path) -> None:
    """Train and write the weights and card into OUT."""
    card = train(Settings(seed=seed, epochs=epochs, first_trained_layer=first_trained_layer), out)
    click.echo(json.dumps(asdict(card)["held_out"], indent=1))


@main.command("evaluate")
@click.option("--reader-weight", default=1.0, show_default=True, help="0 answers without the reader, as by default.")
def evaluate_command(reader_weight: float) -> None:
    """Answer accuracy on the held-out articles' questions, through the whole answer path."""
    click.echo(json.dumps(pipeline_figures(AnswerConfig(reader_weight=reader_weight)), indent=1))


if __name__ == "__main__":
    main()
