"""benchmarks.assemble: BENCHMARKS.md from the sections in benchmarks/results, headline results first, with figure
links that work from its folder; and the benchmarks' command line."""

from pathlib import Path

import pytest

from benchmarks import assemble
from benchmarks.cli import main
from benchmarks.output import HEADLINE_END, HEADLINE_START


def test_headlines_lead_sections_follow_in_order_and_figure_links_follow_the_output(tmp_path: Path) -> None:
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    (results / "sbibm_full.md").write_text(
        f"## Part\n\nIntro.\n\n{HEADLINE_START}\n| goal | met |\n|---|---|\n{HEADLINE_END}\n\n### Table\n\n"
        "![C2ST](../figures/full/c2st.png)\n")
    (results / "core.md").write_text("## Core\n\nSet-up.\n\n| a | b |\n|---|---|\n\nMore.\n\n| c |\n")
    (results / "callbacks.md").write_text("## Callbacks\n\n| not | a headline |\n")
    (results / "zeta.md").write_text("## Zeta\n\n![Remote](https://example.org/a.png)\n")
    assemble.assemble(results, tmp_path / "BENCHMARKS.md")
    text = (tmp_path / "BENCHMARKS.md").read_text()
    top, rest = text.split("## Part", 1)
    assert top.index("| goal | met |") < top.index("| a | b |")  # the headlines, in HEADLINES' order
    assert "| c |" not in top and "| not | a headline |" not in top  # a marked part or the first table, listed only
    assert "inverse-design results yet" in top  # the place of the design suite while it has no section
    assert "| goal | met |" not in rest and "| a | b |" not in rest and rest.count(assemble.POINTER) == 2
    assert rest.index("Intro.") < rest.index(assemble.POINTER) < rest.index("### Table")
    assert rest.index("## Core") < rest.index("## Callbacks") < rest.index("## Zeta")  # ORDER, then the others
    assert "![C2ST](benchmarks/figures/full/c2st.png)" in text  # was relative to benchmarks/results
    assert "![Remote](https://example.org/a.png)" in text and HEADLINE_START not in text


def test_a_design_section_takes_its_place_among_the_headlines(tmp_path: Path) -> None:
    (tmp_path / "design.md").write_text("## Design suite\n\n| design | met |\n|---|---|\n")
    assemble.assemble(tmp_path, tmp_path / "out.md")
    text = (tmp_path / "out.md").read_text()
    label = assemble.HEADLINES["design.md"]
    assert f"**{label}**\n\n| design | met |" in text and "inverse-design results yet" not in text


def test_the_command_line_dispatches_and_refuses_unknown_names(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["speed", "no_such_benchmark"]) == 2 and "core, callbacks, gpu, simulator" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["no_such_command"])
    with pytest.raises(SystemExit):
        main(["study", "no_such_study"])
    assert main(["assemble", str(tmp_path / "B.md")]) == 0  # from the repository's own results
    assert (tmp_path / "B.md").read_text().startswith("# Benchmarks\n")
