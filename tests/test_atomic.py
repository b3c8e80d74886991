"""gan_train.atomic.atomic_write: readers see the old file or the whole new one, never a part."""

from __future__ import annotations

import pytest
from PIL import Image

from gan_train.atomic import atomic_write


def test_a_write_lands_whole_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "state.json"
    seen = []
    atomic_write(target, lambda tmp: seen.append(tmp) or tmp.write_text("new"))
    assert target.read_text() == "new" and oct(target.stat().st_mode & 0o777) == "0o644"
    assert seen[0].parent == tmp_path and seen[0] != target and seen[0].suffix == ".json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_part(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")

    def half_then_fail(tmp):
        tmp.write_text("ne")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_writers_that_read_the_suffix_get_the_targets(tmp_path):
    target = atomic_write(tmp_path / "grid.png", lambda tmp: Image.new("RGB", (2, 2), (9, 8, 7)).save(tmp))
    with Image.open(target) as image:
        assert image.format == "PNG" and image.getpixel((1, 1)) == (9, 8, 7)
