"""Question-set rows are typed: a wrong shape is one error naming the file, the line and the field."""
from __future__ import annotations

from pathlib import Path

import pytest
from reportqa.errors import InvalidInput
from reportqa.eval.questions import BUNDLED_SET, load_questions, normalise


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_set_loads_with_every_row_typed() -> None:
    questions = load_questions(BUNDLED_SET)
    assert len(questions) == 93
    assert all(isinstance(q.answerable, bool) and all(isinstance(e, str) for e in q.evidence) for q in questions)


@pytest.mark.parametrize(("name", "size", "answerable"), [("unseen.jsonl", 60, 48), ("dev-en.jsonl", 45, 45)])
def test_the_extra_sets_quote_the_report_once_per_quote_and_repeat_no_bundled_question(name: str, size: int, answerable: int) -> None:
    extra = load_questions(BUNDLED_SET.with_name(name))
    report = normalise(next(BUNDLED_SET.parent.parent.joinpath("corpus").glob("*.txt")).read_text(encoding="utf-8"))
    assert (len(extra), sum(q.answerable for q in extra)) == (size, answerable)
    assert all(report.count(normalise(e)) == 1 for q in extra for e in q.evidence)
    bundled = {(q.lang, normalise(q.question)) for q in load_questions(BUNDLED_SET)}
    assert not bundled & {(q.lang, normalise(q.question)) for q in extra}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ('{"question": "q?", "evidence": "some text"}', "evidence"),
        ('{"question": "q?", "answerable": "false"}', "answerable"),
        ('{"question": "q?", "answer_facts": [1, 2]}', "answer_facts"),
        ('{"question": 7}', "question"),
        ('{"question": "   "}', "question"),
        ('{"question": "q?", "lang": null}', "lang"),
    ],
)
def test_a_wrong_type_names_file_line_and_field(tmp_path: Path, row: str, field: str) -> None:
    path = _write(tmp_path, "set.jsonl", '{"question": "fine?"}\n\n' + row + "\n")
    with pytest.raises(InvalidInput) as raised:
        load_questions(path)
    assert str(raised.value).startswith(f"{path}:3: field '{field}' must be")


def test_csv_rows_are_checked_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "set.csv", "id,question,evidence,answerable\na,q?,x|y,true\nb,q?,,maybe\n")
    with pytest.raises(InvalidInput, match=r"set\.csv:3: field 'answerable' must be true or false"):
        load_questions(path)


def test_csv_lists_and_booleans(tmp_path: Path) -> None:
    path = _write(tmp_path, "set.csv", "id,question,evidence,answerable\na,q?,x|y,true\nb,r?,,no\n")
    first, second = load_questions(path)
    assert first.evidence == ["x", "y"] and first.answerable and not second.answerable


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "set.jsonl", '{"id": "a", "question": "q?"}\n{"id": "a", "question": "r?"}\n')
    with pytest.raises(InvalidInput, match="the id 'a' appears more than once"):
        load_questions(path)
