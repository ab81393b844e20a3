"""Off-screen figures and charts: produced, the expected size, not blank, colours that mean the
right class; `show` without a display says so."""

import numpy as np
import pytest
from synthetic_study import make_study, write_block_case

from fea.cli import main
from fea.plot.charts import study_charts
from fea.plot.figures import WINDOW, auto_scale, case_figures
from fea.summary_table import load_or_build


def _img(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _check_not_blank(a, min_colours=40):
    assert a.std() > 15.0
    assert len(np.unique(a.reshape(-1, 3), axis=0)) > min_colours
    non_white = (a < 245).any(axis=2).mean()
    assert 0.05 < non_white < 0.98


def _band_pixels(a):
    """Green-dominant and red-dominant pixels left of the colour bar (the map itself)."""
    body = a[:, : int(0.8 * a.shape[1])]
    r, g, b = body[..., 0], body[..., 1], body[..., 2]
    return int(((g > r + 30) & (g > b + 10)).sum()), int(((r > g + 80) & (r > b + 60)).sum())


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("plot")
    write_block_case(root / "low" / "flexion", "flexion", slip_um=8.0)
    write_block_case(root / "high" / "flexion", "flexion", slip_um=400.0, pressure_MPa=5.0)
    return root


@pytest.fixture(scope="module")
def figures(cases):  # rendered once: each off-screen figure costs ~0.5 s
    return {k: case_figures(cases / k / "flexion") for k in ("low", "high")}


def test_case_figures_are_written_sized_and_not_blank(figures):
    paths = figures["low"]
    names = sorted(p.name for p in paths)
    assert names == ["micromotion_cage_C3.png", "pressure_cage_C3.png", "section.png",
                     "von_mises.png"]
    for p in paths:
        a = _img(p)
        assert a.shape == (WINDOW[1], WINDOW[0], 3)
        _check_not_blank(a)


def test_micromotion_colours_follow_the_thresholds(figures):
    low, high = figures["low"], figures["high"]
    g_lo, r_lo = _band_pixels(_img(next(p for p in low if p.name.startswith("micromotion"))))
    g_hi, r_hi = _band_pixels(_img(next(p for p in high if p.name.startswith("micromotion"))))
    assert g_lo > 2000 and r_lo < 200  # 4-12 µm: all below 28 µm, green
    assert r_hi > 2000 and g_hi < 200  # 200-600 µm: all above 150 µm, red
    # pressure 2.5-7.5 MPa on cancellous bone (1.9 MPa): over yield, red
    _, r_p = _band_pixels(_img(next(p for p in high if p.name.startswith("pressure"))))
    assert r_p > 2000


def test_auto_scale_is_round_and_stated(cases):
    import pyvista as pv

    g = pv.read(cases / "low" / "flexion" / "result.vtu")
    s = auto_scale(g)
    mant = s / 10 ** np.floor(np.log10(s))
    assert any(np.isclose(mant, m) for m in (1, 2, 5))
    umax = np.linalg.norm(g.point_data["displacement"], axis=1).max()
    assert 0.02 * g.length <= s * umax <= 0.05 * g.length + 1e-12 or s == 1.0


def test_study_charts_and_plot_command(tmp_path, cases):
    root = make_study(tmp_path / "s", {"a": {}, "b": {"E_implant": 3000.0, "slip_um": 120.0}},
                      loadcases=("flexion", "axial_rotation"), not_converged={("b", "flexion")})
    paths = study_charts(load_or_build(root), root / "figures")
    assert [p.name for p in paths] == ["rom.png", "micromotion.png"]
    for p in paths:
        a = _img(p)
        assert a.shape == (550, 1000, 3)
        _check_not_blank(a, min_colours=100)
    assert main(["plot", str(root), "--no-cases"]) == 0
    assert sorted(p.name for p in (root / "figures").glob("*.png")) == ["micromotion.png",
                                                                        "rom.png"]
    assert main(["plot", str(cases / "low" / "flexion"), "--out", str(tmp_path / "f"),
                 "--scale", "10"]) == 0
    assert len(list((tmp_path / "f").glob("*.png"))) == 4


def test_show_without_display_explains(cases, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["show", str(cases / "low" / "flexion")]) == 1
    err = capsys.readouterr().err
    assert "no display" in err and "spinefea plot" in err
