"""bench/assemble.py: BENCHMARKS.md from the sections in bench/results, with figure links that work from its folder."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("assemble", ROOT / "bench" / "assemble.py")
assemble = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(assemble)


def test_sections_are_demoted_and_figure_links_follow_the_output(tmp_path: Path) -> None:
    results = tmp_path / "bench" / "results"
    results.mkdir(parents=True)
    (results / "sbibm_full.md").write_text("# Part\n\n### Table\n\n![C2ST](../figures/full/c2st.png)\n")
    (results / "core.md").write_text("# Core\n\n![Remote](https://example.org/a.png)\n")
    assemble.assemble(results, tmp_path / "BENCHMARKS.md")
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert text.index("## Core") < text.index("## Part")  # the fixed order
    assert "#### Table" in text
    assert "![C2ST](bench/figures/full/c2st.png)" in text  # was relative to bench/results
    assert "![Remote](https://example.org/a.png)" in text

