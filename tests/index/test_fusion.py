"""The fusion's moving parts on real text: which sections may lift, and how the BM25 share moves."""
from __future__ import annotations

import numpy as np
from reportqa.index.fusion import FusionConfig, bm25_share, section_shapes, zscore
from reportqa.index.search import Searcher
from reportqa.ingest.chunk import ChunkingConfig, chunk_document
from reportqa.ingest.sections import find_sections
from reportqa.ingest.types import Document

PAGE_BODY = (
    "회사는 올해 수출 물량을 두 배로 늘렸다. 주력 제품은 산업용 센서와 제어 장치이다. "
    "해외 매출의 절반은 동남아시아에서 나왔고 나머지는 유럽과 북미에서 나왔다. "
    "설비 투자는 작년보다 30% 늘었으며 신규 공장은 내년 상반기에 가동된다. "
)


def _keys(document: Document) -> list[tuple[str, str]]:
    return [(c.doc_id, c.section) for c in chunk_document(document, ChunkingConfig())]


def _real(keys: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Per section, may it lift its chunks?"""
    shapes = section_shapes(keys, range(len(keys)))
    return {key: shape.liftable(FusionConfig().section_max_share) for key, shape in zip(keys, shapes)}


def test_report_sections_lift_but_its_unheaded_opening_does_not(searcher: Searcher) -> None:
    keys = [(c.doc_id, c.section) for c in searcher.data.chunks]
    real = _real(keys)
    assert real[(keys[0][0], "2. 장기불황을 극복한 중소기업 사례 > ④ 지역적 강점의 활용")]
    assert real[(keys[0][0], "3. 시사점")]
    assert not real[(keys[0][0], "")]  # text before the first heading is no section


def test_running_header_repeated_over_pages_is_not_a_section() -> None:
    """OCR'd pages whose header line survives cleaning: the 'heading' recurs, so it lifts nothing."""
    pages = [f"2024 사업보고서\n\n{PAGE_BODY * 2}" for _ in range(4)]
    text = "\n\n".join(pages)
    document = Document("pages.pdf", "pages.pdf", "사업보고서", text, "0" * 64, find_sections(text))
    keys = _keys(document)
    assert {section for _, section in keys} == {"2024 사업보고서"}
    assert not any(_real(keys).values())


def test_a_document_without_headings_has_no_section_to_lift() -> None:
    text = "\n\n".join([PAGE_BODY * 2] * 3)
    keys = _keys(Document("plain.txt", "plain.txt", "plain", text, "0" * 64, find_sections(text)))
    assert len(keys) > 2 and not any(_real(keys).values())


def test_bm25_share_follows_coverage_and_the_surer_retriever() -> None:
    flat = zscore(np.linspace(1.0, 0.9, 50))
    peaked = zscore(np.array([5.0, *np.linspace(1.0, 0.9, 49)]))
    config = FusionConfig(bm25_weight=0.5, sureness=1.0)
    assert bm25_share(flat, peaked, 1.0, config) > 0.5 > bm25_share(peaked, flat, 1.0, config)
    assert bm25_share(flat, peaked, 0.0, config) == 0.0  # no morpheme seen: no BM25 at all
    fixed = FusionConfig(bm25_weight=0.5, sureness=0.0)
    assert bm25_share(flat, peaked, 0.6, fixed) == bm25_share(peaked, flat, 0.6, fixed) == 0.3
