"""Answer wording: the report's sentences, each followed by its citation marker."""
from __future__ import annotations

import re

_LIST_EN = re.compile(
    r"\b(which|what) ([a-z-]+ ){0,2}(firms|companies|cases|examples|businesses|industries|regions|types|kinds|cities|strategies)\b"
    r"|\b(list|name) (the|all)\b|\bexamples?\b",
    re.IGNORECASE,
)
_LIST_KO = re.compile(r"(어떤|어느)\s?(기업|회사|사례|업체|지역|유형|곳|도시|전략)|(기업|회사|사례|업체|유형|곳)(들)?(은|는|이|가)?\s*(무엇|어디|\?|$)")


LEAD_IN = {
    ("en", "list"): "The report gives these cases:",
    ("en", "single"): "According to the report:",
    ("ko", "list"): "보고서가 드는 사례는 다음과 같습니다.",
}
NOT_COVERED = {
    "ko": "보고서에서 이 질문에 답하는 내용을 찾지 못했습니다.",
    "en": "The report does not cover this question.",
}


def is_list_question(question: str) -> bool:
    """Does the question ask for several items (firms, cases, types)?"""
    return bool(_LIST_EN.search(question) or _LIST_KO.search(question.strip()))


def compose(quoted: list[tuple[str, int]], lang: str, as_list: bool) -> str:
    """Join the quoted sentences, each followed by the number of the citation it comes from."""
    marked = [f"“{s}” [{n}]" if lang == "en" else f"{s} [{n}]" for s, n in quoted]
    lead = LEAD_IN.get((lang, "list" if as_list else "single"))
    if as_list:
        body = "\n".join(f"- {q}" for q in marked)
        return f"{lead}\n{body}" if lead else body
    body = " ".join(marked)
    return f"{lead} {body}" if lead else body
