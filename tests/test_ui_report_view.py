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
