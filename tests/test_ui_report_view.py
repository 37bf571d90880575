"""The benchmark page's report: image links become image blocks (Streamlit's markdown cannot show local files)."""

from pathlib import Path

from ui.report_view import ImageBlock, TextBlock, report_blocks


def test_image_lines_become_resolved_image_blocks_between_text(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "c2st.png").write_bytes(b"\x89PNG")
    text = "# Title\n\n| a | b |\n|---|---|\n\n![C2ST per task](figures/c2st.png)\n\nAfter.\n"
    blocks = report_blocks(text, tmp_path)
    assert blocks == [
        TextBlock("# Title\n\n| a | b |\n|---|---|"),
        ImageBlock((tmp_path / "figures" / "c2st.png").resolve(), "C2ST per task"),
        TextBlock("After."),
    ]


def test_a_missing_figure_is_said_in_the_text_not_shown_broken(tmp_path: Path) -> None:
    blocks = report_blocks("Intro.\n![Coverage](figures/coverage.png)\n", tmp_path)
    assert len(blocks) == 1 and isinstance(blocks[0], TextBlock)
    assert "figure “Coverage” is missing: figures/coverage.png" in blocks[0].markdown


def test_the_projects_report_links_only_figures_that_exist() -> None:
    report = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
    blocks = report_blocks(report.read_text(encoding="utf-8"), report.parent)
    assert any(isinstance(b, ImageBlock) for b in blocks)
    assert not any(isinstance(b, TextBlock) and "is missing:" in b.markdown for b in blocks)


def test_a_report_splits_into_intro_sections_and_a_headline() -> None:
    from ui.report_view import round_numbers, split_report

    text = ("# Benchmarks\n\nHow it was measured.\n\n## Headline results\n\n**Speed**\n\n| a |\n\n## Speed\n\n"
            "| a | 30030.5592 |\n\n*See [Headline results](#headline-results).*\n\n## The full run\n\nIntro.\n\n"
            "![Fig](f.png)\n\n## Speed\n\nagain\n")
    report = split_report(text, "Headline results")
    assert report.intro == "How it was measured."
    assert report.headline is not None and report.headline.body == "**Speed**\n\n| a |"
    assert report.headline.anchor == "headline-results"  # where the sections' pointers lead
    assert [s.title for s in report.sections] == ["Speed", "The full run", "Speed"]  # the headline set apart
    assert [s.anchor for s in report.sections] == ["speed", "the-full-run", "speed-2"]  # unique anchors
    assert report.sections[1].body == "Intro.\n\n![Fig](f.png)"
    no_headline = split_report(text, "Headline")  # a title, not a part of one
    assert no_headline.headline is None and len(no_headline.sections) == 4
    assert round_numbers("| a | 30030.5592 | 0.000123456 | 0.06815 | 1.5 | x1.23456 |\nplain 0.123456") == (
        "| a | 30031 | 0.0001235 | 0.06815 | 1.5 | x1.23456 |\nplain 0.123456")
