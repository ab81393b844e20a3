"""Ligament figures and report table: a block hung from 8 taut fibres beside 4 slack ones (the
model of test_ligament_term.py), solved and written; the fibres are drawn on the deformed mesh,
slack ones in the slack colour, the force chart marks the failure force, the report lists every
ligament with its force from summary.json."""

import json
import re

import numpy as np
import pytest
from synthetic_study import make_study
from test_ligament_term import STIFF, hung_model, pull

from fea.cli import main
from fea.model import Ligament, LigamentLaw
from fea.plot.backend import pyvista
from fea.plot.case_data import load_case
from fea.plot.ligaments import SLACK_RGB, fibre_lines
from fea.report import write_report
from fea.results import write_case
from fea.solve_case import case_metrics_hook, solve_case

P = 10.0  # N on the hung block: the 8-fibre bundle carries it all


def _img(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB")).astype(int)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = make_study(tmp_path_factory.mktemp("lig") / "s", {"plain": {}}, loadcases=("flexion",))
    lax = LigamentLaw("toe_linear", stiffness=5.0, laxity=5.0)  # stays slack at 0.5 mm
    m = hung_model(LigamentLaw("toe_linear", stiffness=STIFF, failure_force=8.0), [
        Ligament("lax", "hang_zmax", "fixed_zmin", lax, fibres=4)])
    case = solve_case(m, pull(P))
    assert case.result.converged
    write_case(case.result, root / "hung" / "pull", case.writers, case.extra,
               metrics=case_metrics_hook(case))
    return root


def test_fibres_are_drawn_deformed_and_slack_ones_grey(study):
    pv = pyvista()
    case = load_case(study / "hung" / "pull", pv)
    lines = fibre_lines(case, scale=10.0)
    assert lines.n_cells == 12
    taut = np.asarray(lines.cell_data["taut"]).astype(bool)
    rgb = np.asarray(lines.cell_data["colour"])
    assert taut.sum() == 8
    assert (rgb[~taut] == SLACK_RGB).all()
    assert not (rgb[taut] == SLACK_RGB).all(axis=1).any()
    # the hung block moves down 0.5 mm: its fibre ends drawn 10 x lower, the fixed ends not
    moved = np.asarray(lines.points) - np.asarray(case.ligaments.points)
    low = np.asarray(case.ligaments.points)[:, 2] < 7.0  # the hang_zmax ends (z = 4)
    np.testing.assert_allclose(moved[low, 2], -10.0 * P / STIFF, rtol=1e-3)
    assert np.abs(moved[~low]).max() < 1e-3


def test_plot_writes_the_ligament_figure_and_chart(study, tmp_path):
    assert main(["plot", str(study / "hung" / "pull"), "--out", str(tmp_path), "--scale",
                 "2"]) == 0
    fig, chart = _img(tmp_path / "ligaments.png"), _img(tmp_path / "ligament_forces.png")
    for a in (fig, chart):
        assert a.std() > 15.0 and len(np.unique(a.reshape(-1, 3), axis=0)) > 40
    # in the 3D view (below the title, between axes and colour bar): the 4 slack fibres as
    # neutral grey tubes (shaded), the 8 taut ones in the map's orange to yellow
    body = fig[80:, int(0.2 * fig.shape[1]):int(0.8 * fig.shape[1])]
    r, g, b = body[..., 0], body[..., 1], body[..., 2]
    grey = (np.abs(r - g) < 6) & (np.abs(g - b) < 6) & (r > 40) & (r < 150)
    warm = (r > 120) & (r - b > 80)
    assert grey.sum() > 1500 and warm.sum() > 3000, (grey.sum(), warm.sum())
    # the bundle (10 N) is over its 8 N failure force: its bar is red, the lax one has none
    r, g, b = chart[..., 0], chart[..., 1], chart[..., 2]
    assert ((r > 200) & (g < 60) & (b < 60)).sum() > 2000


def test_report_lists_every_ligament_with_its_force(study):
    text = write_report(study, with_figures=True).read_text()
    s = json.loads((study / "hung" / "pull" / "summary.json").read_text())
    part = text[text.index("<h2>Ligaments</h2>"):text.index("<h2>Solver</h2>")]
    rows = re.findall(r"<tr><td class=\"text\">([^<]+)</td><td class=\"text\">([^<]+)</td>"
                      r"<td[^>]*>([^<]+)</td>", part)
    want = [("hung / pull", r["name"], f"{r['force_N']:.4g}") for r in s["ligaments"]]
    assert rows == want and want[0][2] == f"{P:.4g}"
    assert "1.25" in part  # bundle: 10 N over its 8 N failure force
    assert "hung / pull: ligaments" in text and "hung / pull: ligament forces" in text
    assert "plain / flexion" not in part  # a case without ligaments gets no table


def test_a_spring_to_ground_is_drawn_as_a_dot(tmp_path):
    from test_ligament_metrics import _solve

    rc, s = _solve(tmp_path, 1000.0)
    assert rc == 0 and s["ligaments"][0]["force_N"] > 1.0
    assert main(["plot", str(tmp_path / "out1000"), "--out", str(tmp_path / "f")]) == 0
    a = _img(tmp_path / "f" / "ligaments.png")
    body = a[80:, int(0.2 * a.shape[1]):int(0.8 * a.shape[1])]
    # the one taut spring is the largest force: the map's top colour (plasma: yellow)
    r, g, b = body[..., 0], body[..., 1], body[..., 2]
    assert ((r > 200) & (g > 200) & (b < 90)).sum() > 30
