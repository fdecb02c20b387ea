"""Search quality on the real report: the showcase questions and the question-set floors."""
from __future__ import annotations

import pytest
from reportqa.index.protocol import indexed_text
from reportqa.index.search import Searcher

SHOWCASE = ["Which firms used regional strengths?", "지역적 강점을 활용한 기업은?"]
REGIONAL_CASES = ["이마바리", "사바에", "오타구"]


@pytest.mark.parametrize("question", SHOWCASE)
def test_showcase_finds_all_three_regional_cases_in_top5(searcher: Searcher, question: str) -> None:
    texts = " ".join(h.chunk.text for h in searcher.search(question, k=5))
    assert [name for name in REGIONAL_CASES if name not in texts] == []


def test_english_question_is_not_dragged_down_by_bm25(searcher: Searcher) -> None:
    """An English question has no BM25 signal over Korean text: hybrid must equal dense at the top."""
    question = "Which firms used regional strengths?"
    assert searcher.data.bm25.coverage(searcher.data.bm25.tokenize(question)) == 0.0
    hybrid = searcher.search(question, k=1)[0].chunk.id
    assert hybrid == searcher.search(question, k=1, mode="dense")[0].chunk.id


def test_korean_question_uses_bm25(searcher: Searcher) -> None:
    question = "사바에시는 일본 안경테 생산에서 어느 정도 비중을 차지하나?"
    assert searcher.data.bm25.coverage(searcher.data.bm25.tokenize(question)) > 0.5
    top = searcher.search(question, k=1)[0]
    assert "96%" in top.chunk.text and top.signals["bm25"] > 0


def test_hits_are_ranked_and_carry_their_section(searcher: Searcher) -> None:
    hits = searcher.search("사바에시 안경테", k=5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert hits[0].chunk.section == "2. 장기불황을 극복한 중소기업 사례 > ④ 지역적 강점의 활용"
    assert set(hits[0].to_dict()) == {"rank", "score", "chunk_id", "doc", "title", "section", "start", "end", "text", "recognised"}


def test_section_path_is_searchable_but_not_cited(searcher: Searcher) -> None:
    """The heading path is indexed with the chunk, never part of the excerpt text."""
    chunks = searcher.data.chunks
    assert any(" > " in c.section for c in chunks)  # nested paths exist, so the check below can fail
    for chunk in chunks:
        assert chunk.section in indexed_text(chunk)
        assert searcher.data.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text
        if " > " in chunk.section:
            assert chunk.section not in chunk.text
