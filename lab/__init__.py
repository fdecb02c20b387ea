"""The lab: benchmarks, sweeps and library comparisons that measure the product but are not part of it.

`reportqa bench` and `reportqa eval --benchmark …` reach these modules; the chat, `ask` and the
library path (`index.api`, `qa.answer`) never import them (tests/test_layers.py).
"""
