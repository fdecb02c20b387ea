"""What search returns: a ranked chunk with the signals that ranked it."""
from __future__ import annotations

from dataclasses import dataclass, field
from reportqa.ingest.types import Chunk


@dataclass(frozen=True)
class Hit:
    """One search result; `signals` keeps the per-method scores for explanations and eval."""

    rank: int
    score: float
    chunk: Chunk
    signals: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON shape of a hit in `reportqa search --json`."""
        return {"rank": self.rank, "score": round(self.score, 6), **self.chunk.public_dict()}
