"""Output paths through symbolic links and ``..`` (issue 16: nothing lost, ever).

Every output is resolved once (:func:`denen_gis.io.temporaries.output_target`,
like ``os.path.realpath``): a link's target is what is checked, protected and
replaced, and the link stays; ``sub/../x`` is ``x`` and no folder ``sub`` is
created, whether ``sub`` exists or not.
"""

from __future__ import annotations

import os
from pathlib import Path

import folium
import pytest

from denen_gis.cli._common import check_out_file
from denen_gis.errors import InputError
from denen_gis.explorer import check_explorer_target
from denen_gis.io.files import write_text_atomic
from denen_gis.io.outdir import MARKER, atomic_directory, check_output_folder
from denen_gis.io.temporaries import output_target
from denen_gis.render.maps import save_map

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")


def _foreign_folder(folder: Path) -> Path:
    folder.mkdir()
    keep = folder / "thesis.docx"
    keep.write_text("years of work")
    return keep


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_output_target_resolves_links_and_dotdot(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert output_target(tmp_path / "link") == output_target(tmp_path / "real")
    assert output_target(tmp_path / "sub" / ".." / "x") == output_target(tmp_path / "x")


def test_a_link_to_a_foreign_folder_is_refused_without_force(tmp_path):
    keep = _foreign_folder(tmp_path / "Documents")
    (tmp_path / "link").symlink_to(tmp_path / "Documents")
    with pytest.raises(InputError, match="--force"), atomic_directory(tmp_path / "link"):
        pass
    assert keep.read_text() == "years of work"
    assert (tmp_path / "link").is_symlink()


def test_force_through_a_link_replaces_the_target_and_keeps_the_link(tmp_path):
    _foreign_folder(tmp_path / "Documents")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "Documents")
    with atomic_directory(link, force=True) as tmp:
        (tmp / "plan.json").write_text("{}")
    assert link.is_symlink() and link.resolve() == (tmp_path / "Documents").resolve()
    assert _names(tmp_path / "Documents") == {MARKER, "plan.json"}
    assert _names(tmp_path) == {"Documents", "link"}  # no .old-* or temporary left
    # Our own output through the link is replaced without --force, the link kept.
    with atomic_directory(link) as tmp:
        (tmp / "again.json").write_text("{}")
    assert link.is_symlink() and _names(link) == {MARKER, "again.json"}
    assert _names(tmp_path) == {"Documents", "link"}


def test_dotdot_over_a_missing_folder_leaves_no_stray_folder(tmp_path):
    with atomic_directory(tmp_path / "sub" / ".." / "x") as tmp:
        (tmp / "a.txt").write_text("a")
    assert _names(tmp_path) == {"x"}
    assert _names(tmp_path / "x") == {MARKER, "a.txt"}


def test_dotdot_to_a_foreign_folder_is_refused(tmp_path):
    keep = _foreign_folder(tmp_path / "x")
    with pytest.raises(InputError, match="--force"):
        check_output_folder(tmp_path / "sub" / ".." / "x")
    assert keep.exists() and _names(tmp_path) == {"x"}


def test_a_file_write_through_a_link_replaces_the_target(tmp_path):
    (tmp_path / "data").mkdir()
    real = tmp_path / "data" / "page.txt"
    real.write_text("old")
    link = tmp_path / "page.txt"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert _names(tmp_path / "data") == {"page.txt"}


def test_a_file_write_through_dotdot_over_a_missing_folder(tmp_path):
    write_text_atomic(tmp_path / "sub" / ".." / "x.txt", "x")
    assert _names(tmp_path) == {"x.txt"}


def test_a_map_through_dotdot_or_a_link(tmp_path):
    save_map(folium.Map(tiles=None), tmp_path / "sub" / ".." / "m.html", offline=False)
    assert _names(tmp_path) == {"m.html"}
    (tmp_path / "maps").mkdir()
    link = tmp_path / "maps" / "link.html"
    link.symlink_to(tmp_path / "m.html")
    save_map(folium.Map(tiles=None), link, offline=False)
    assert link.is_symlink() and "denen-gis" in (tmp_path / "m.html").read_text()
    assert _names(tmp_path / "maps") == {"link.html"}


@pytest.mark.parametrize("how", ["dotdot", "link"])
@pytest.mark.parametrize(
    "check",
    [
        lambda p, force: check_out_file(p, force=force),
        lambda p, force: check_explorer_target(p, force=force),
    ],
    ids=["map", "explore"],
)
def test_a_foreign_page_behind_dotdot_or_a_link_needs_force(tmp_path, how, check):
    page = tmp_path / "page.html"
    page.write_text("<html>my own page</html>")
    if how == "link":
        out = tmp_path / "link.html"
        out.symlink_to(page)
    else:
        out = tmp_path / "sub" / ".." / "page.html"
    with pytest.raises(InputError, match="--force"):
        check(out, False)
    check(out, True)
    assert page.read_text() == "<html>my own page</html>"
    assert "sub" not in _names(tmp_path)


def test_a_link_to_a_folder_is_not_a_page(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "link.html").symlink_to(tmp_path / "folder")
    for check in (check_out_file, check_explorer_target):
        with pytest.raises(InputError, match="folder"):
            check(tmp_path / "link.html", force=True)
