"""Ligaments in decks: write -> read keeps every fibre's elongation operator and force law;
a CalculiX user's spring deck (SPRINGA tables, SPRING1, SPRING2, *EQUATION ties) reads with
CalculiX's meaning; bad spring input is named by line; and (marked ccx) CalculiX 2.20 runs our
block-plus-nonlinear-springs deck, whose spring forces (our law at ccx's displacements) hold the
pulled block in equilibrium."""

import dataclasses
import shutil

import numpy as np
import pytest

from fea.abaqus import deck_text, read_deck, write_deck
from fea.errors import ConfigError
from fea.ligaments.fibres import build_fibres
from fea.ligaments.law import evaluate
from fea.materials import LinearElastic
from fea.model import LoadCase, Ligament, LigamentLaw, Step, Support, SurfaceForce
from tests.test_ligament_fibres import two_blocks


def _node(m, p):
    return int(np.argmin(np.linalg.norm(m.mesh.nodes - p, axis=1)))


def spring_model():
    m = two_blocks(shift=(0.0, 0.0, 10.0))  # 10 x 8 x 4 blocks, 6 mm apart
    mesh = m.mesh
    a, b = _node(m, [0, 0, 4]), _node(m, [0, 0, 10])
    c, d = _node(m, [10, 8, 4]), _node(m, [10, 8, 10])
    mesh.node_sets.update({"pa": np.array([a]), "pb": np.array([b]), "pc": np.array([c]),
                           "pd": np.array([d]),
                           "upper_nodes": np.unique(mesh.cells[mesh.cell_sets["upper"]])})
    m.ligaments = [
        Ligament("patch", "lower_top", "upper_bottom",
                 LigamentLaw("toe_linear", stiffness=300.0, toe_strain=0.1, laxity=0.05),
                 fibres=3),
        Ligament("point", "pa", "pb", LigamentLaw(
            "curve", curve_x=np.array([0, .02, .05, .2]),
            curve_force=np.array([0, 10.0, 40.0, 250.0]))),
        Ligament("corner", "pc", "pd", LigamentLaw("toe_linear", stiffness=80.0,
                                                    toe_strain=0.05)),
    ]
    # stiff blocks: their own strain stays ~1e-4, so NLGEOM in ccx changes nothing measurable
    m.materials = {"m": LinearElastic("m", 10000.0, 0.3)}
    m.supports = [Support("lower", name="fix"),
                  Support("upper_nodes", dofs=(0, 1), name="guide")]
    lc = LoadCase("pull", [Step("pull", [SurfaceForce("upper_top", np.array([0, 0, 300.0]))],
                                increments=4)])
    return m, lc


def _forces(fb, delta):
    return evaluate(fb.law, delta)[0]


def test_write_read_keeps_fibres_and_laws(tmp_path):
    m, lc = spring_model()
    m.ligaments += [
        Ligament("ground", "upper_top", None, LigamentLaw("linear", stiffness=4.0),
                 direction=np.array([0, 0, 1.0])),
        Ligament("dir", "pa", "pb", LigamentLaw("linear", stiffness=2.0),
                 direction=np.array([1.0, 0, 0])),
    ]
    write_deck(m, lc, tmp_path / "lig.inp")
    text = (tmp_path / "lig.inp").read_text()
    assert "*STEP, NAME=pull, NLGEOM" in text and "*SPRING, ELSET=patch_F1, NONLINEAR" in text
    back = read_deck(tmp_path / "lig.inp")
    assert back.loadcase.steps[0].nlgeom and "geometry was treated as linear" in \
        back.loadcase.nlgeom_note
    f0, f1 = build_fibres(m), build_fibres(back.model)
    assert f1.n == f0.n == 7
    assert [lg.element for lg in back.model.ligaments] == ["SPRINGA"] * 5 + ["SPRING1", "SPRING2"]
    np.testing.assert_allclose(f1.B.toarray(), f0.B.toarray(), atol=1e-12)
    np.testing.assert_allclose(f1.L0, f0.L0, rtol=1e-12)
    np.testing.assert_allclose(f1.end_a, f0.end_a, atol=1e-12)
    # the laws: tables exactly, the quadratic toe within its sampling error K t / (8 n^2)
    rng = np.random.default_rng(0)
    for _ in range(5):
        delta = rng.uniform(-1.0, 2.0, f0.n)
        F0, F1 = _forces(f0, delta), _forces(f1, delta)
        toe = f0.law.kind == 0
        np.testing.assert_allclose(F1[~toe], F0[~toe], rtol=1e-12, atol=1e-12)
        bound = f0.law.share * f0.law.K * f0.law.toe / (8 * 8**2) + 1e-9
        assert np.all(np.abs(F1[toe] - F0[toe]) <= bound[toe])
    # and a second round trip changes nothing
    assert deck_text(back.model, back.loadcase) == deck_text(
        read_deck(tmp_path / "lig.inp").model, back.loadcase)


def test_a_ligament_on_its_current_length_is_said_so_in_the_deck(tmp_path):
    """A co-rotated (or current-length) ligament is written as the same SPRINGA with a comment
    naming its kinematics, once per ligament; the deck reads back with small kinematics."""
    m, lc = spring_model()
    m.ligaments[0] = dataclasses.replace(m.ligaments[0], kinematics="co_rotated")
    write_deck(m, lc, tmp_path / "k.inp")
    text = (tmp_path / "k.inp").read_text()
    assert text.count("** ligament 'patch': kinematics 'co_rotated'") == 1
    assert "** ligament 'point'" not in text
    back = read_deck(tmp_path / "k.inp")
    assert {lg.kinematics for lg in back.model.ligaments} == {"small"}


USER_DECK = """*HEADING
springs as a CalculiX user writes them
*NODE, NSET=NALL
1, 0., 0., 0.
2, 1., 0., 0.
3, 0., 1., 0.
4, 0., 0., 1.
5, 0., 0., 3.
*ELEMENT, TYPE=C3D4, ELSET=EALL
1, 1, 2, 3, 4
*ELEMENT, TYPE=SPRINGA, ELSET=TIE
10, 4, 5
*ELEMENT, TYPE=SPRING1, ELSET=BASE
11, 2
*ELEMENT, TYPE=SPRING2, ELSET=SIDE
12, 3, 4
*ELSET, ELSET=BOTH
10
*NSET, NSET=TOP
5
*MATERIAL, NAME=M
*ELASTIC
1000., 0.3
*SOLID SECTION, ELSET=EALL, MATERIAL=M
*SPRING, ELSET=BOTH, NONLINEAR

-1.0, -0.5
0., 0.
20., 0.1
100., 0.5
*SPRING, ELSET=BASE
3
12.5
*SPRING, ELSET=SIDE
1, 1
7.
*EQUATION
3
5, 1, 1., 2, 1, -0.5, 3, 1, -0.5
*EQUATION
3
5, 2, 1., 2, 2, -0.5, 3, 2, -0.5
*EQUATION
3
5, 3, 2., 2, 3, -1., 3, 3, -1.
*BOUNDARY
1, 1, 3
*STEP, NLGEOM
*STATIC
0.25, 1.
*CLOAD
4, 3, 1.
*END STEP
"""


def test_a_users_spring_deck_reads_with_calculix_meaning(tmp_path):
    p = tmp_path / "user.inp"
    p.write_text(USER_DECK)
    deck = read_deck(p)
    tie, base, side = deck.model.ligaments
    assert (tie.name, tie.element, base.element, side.element) == ("BOTH", "SPRINGA", "SPRING1",
                                                                   "SPRING2")
    assert deck.loadcase.steps[0].nlgeom and deck.loadcase.steps[0].increments == 4
    fb = build_fibres(deck.model)
    mesh = deck.model.mesh
    idx = {int(lab): i for i, lab in enumerate(mesh.node_ids)}
    # the SPRINGA runs from node 4 to the tied node 5 at (0, 0, 3), which moves with 2 and 3
    assert fb.L0[0] == pytest.approx(2.0)
    np.testing.assert_allclose(fb.direction[0], [0, 0, 1])
    row = fb.B[0].toarray().ravel()
    assert row[3 * idx[4] + 2] == -1.0
    assert row[3 * idx[2] + 2] == pytest.approx(0.5) and row[3 * idx[3] + 2] == pytest.approx(0.5)
    # CalculiX's table: force = table(elongation), constant beyond both ends
    F, dF = evaluate(fb.law, np.array([0.3, 0.0, 0.0]))
    assert F[0] == pytest.approx(60.0)
    F, dF = evaluate(fb.law, np.array([-2.0, 0, 0]))
    assert F[0] == pytest.approx(-1.0) and dF[0] == 0.0
    F, dF = evaluate(fb.law, np.array([0.9, 0, 0]))
    assert F[0] == pytest.approx(100.0) and dF[0] == 0.0
    # SPRING1: node 2 to ground in z, linear both ways; SPRING2: nodes 3 -> 4 in x
    assert np.isnan(fb.L0[1]) and fb.B[1].toarray().ravel()[3 * idx[2] + 2] == 1.0
    F, _ = evaluate(fb.law, np.array([0, -0.2, 0.4]))
    assert F[1] == pytest.approx(-2.5) and F[2] == pytest.approx(2.8)
    row = fb.B[2].toarray().ravel()
    assert row[3 * idx[4]] == 1.0 and row[3 * idx[3]] == -1.0


@pytest.mark.parametrize("old, new, words", [
    ("*SPRING, ELSET=SIDE\n1, 1\n", "*SPRING, ELSET=SIDE\n1, 2\n", ["same dof"]),
    ("*SPRING, ELSET=BASE\n3\n", "*SPRING, ELSET=BASE\n5\n", ["dof 5"]),
    ("*SPRING, ELSET=SIDE\n1, 1\n7.\n", "", ["spring element 12 has no *SPRING"]),
    # the first tie of end node 5 rewritten to start at solid node 4: a linear constraint on node
    # 4 (fea.equations), which leaves the spring end without its tie in dof 1
    ("*EQUATION\n3\n5, 1,", "*EQUATION\n3\n4, 1,", ["node 5", "*EQUATION ties in all"]),
    ("20., 0.1\n", "20., 0.1, 300.\n", ["temperature"]),
    ("100., 0.5\n", "100., 0.05\n", ["elongations must rise"]),
    ("*ELEMENT, TYPE=SPRINGA, ELSET=TIE\n10, 4, 5", "*ELEMENT, TYPE=SPRINGA, ELSET=TIE\n1, 4, 5",
     ["element number 1 is used by a solid element"]),
    ("*ELSET, ELSET=BOTH\n10\n", "*ELSET, ELSET=BOTH\n10, 1\n", ["mixes spring and solid"]),
])
def test_bad_spring_input_is_named(tmp_path, old, new, words):
    assert old in USER_DECK
    p = tmp_path / "bad.inp"
    p.write_text(USER_DECK.replace(old, new, 1))
    with pytest.raises(ConfigError) as exc:
        read_deck(p)
    msg = str(exc.value)
    assert str(p) in msg and "line" in msg, msg
    for w in words:
        assert w in msg, msg


def test_exported_spring_deck_solves_as_the_model_and_says_nlgeom_was_linear(tmp_path):
    """Our own export read back (the NLGEOM step, SPRINGA tables, *EQUATION ends) solves to the
    model's displacements, and the case says that geometry was treated as linear."""
    from fea.solve_case import solve_case

    m, lc = spring_model()
    deck = tmp_path / "springs.inp"
    write_deck(m, lc, deck)
    back = read_deck(deck)
    assert back.loadcase.steps[0].nlgeom
    res_back = solve_case(back.model, back.loadcase).result
    res = solve_case(m, lc).result
    assert res.converged and res_back.converged
    assert not any("geometry was treated as linear" in w for w in res.warnings)
    assert any("geometry was treated as linear" in w for w in res_back.warnings), res_back.warnings
    u, u_back = res.displacement(), res_back.displacement()[: m.mesh.n_nodes]
    assert np.abs(u_back - u).max() <= 1e-6 * np.abs(u).max()


@pytest.fixture(scope="module")
def ccx_springs(tmp_path_factory):
    """Our block-plus-nonlinear-springs deck solved by CalculiX: (model, load case, ccx nodal
    displacements in mesh order, node labels)."""
    from fea.abaqus.ccx import read_dat_displacements, run_ccx

    m, lc = spring_model()
    deck = tmp_path_factory.mktemp("ccx") / "springs.inp"
    write_deck(m, lc, deck)
    run = run_ccx(deck, threads=1)
    (labels, u_ccx), = [(lab, u) for name, t, lab, u in read_dat_displacements(run.dat)
                        if name == "NALL" and t == 1.0]
    u = np.zeros((m.mesh.n_nodes, 3))
    u[np.searchsorted(m.mesh.node_ids, labels)] = u_ccx
    return m, lc, u


@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
def test_ccx_spring_forces_hold_the_block(ccx_springs):
    """CalculiX 2.20 solves our deck (SPRINGA tables, NLGEOM, *EQUATION fibre ends); the upper
    block, guided in x and y and pulled up by 300 N, is held only by the springs: our fibre
    forces at ccx's displacements must carry the 300 N within 0.5 % (ccx prints 7 digits; NLGEOM
    turns the fibres by O(u/L))."""
    m, _, u = ccx_springs
    fb = build_fibres(m)
    delta = fb.B @ u.ravel()
    F = _forces(fb, delta)
    assert delta.min() > 0.1  # every fibre well into its law (past laxity and toe)
    assert np.ptp(delta) > 0.01  # and not all alike: the laws differ
    lift = float(F @ fb.direction[:, 2])
    print(f"\nfibre elongations {np.round(delta, 4)} mm; forces {np.round(F, 2)} N; "
          f"sum {lift:.4f} N (applied 300 N)")
    assert lift == pytest.approx(300.0, rel=5e-3)


@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
def test_ccx_displacements_match_ours(ccx_springs):
    """Issue 16: the same deck solved by CalculiX 2.20 and by us, nodal displacements within
    0.5 % of the largest (ours through the Newton driver with the ligament term)."""
    from fea.solve_case import solve_case

    m, lc, u_ccx = ccx_springs
    res = solve_case(m, lc).result
    assert res.converged
    u = res.displacement()
    rel = np.abs(u - u_ccx).max() / np.abs(u_ccx).max()
    print(f"\nmax |ours - ccx| / max |u| = {rel:.2e}")
    assert rel <= 5e-3


def _wrapped(via):
    m, lc = spring_model()
    from tests.helpers import structured_box

    lower = structured_box((4, 4, 2), (10.0, 8.0, 4.0)).to_tet10()
    m.mesh.face_sets["lower_xmax"] = lower.face_sets["xmax"]  # the lower block's cells come first
    m.mesh.face_sets["upper_xmax"] = lower.face_sets["xmax"] + [lower.n_cells, 0]
    m.ligaments = [Ligament("wrap", "lower_top", "upper_bottom",
                            LigamentLaw("toe_linear", stiffness=300.0, toe_strain=0.1),
                            fibres=2, via=via)]
    return m, lc


def test_a_wrapped_fibre_is_written_as_its_last_segment(tmp_path):
    m, lc = _wrapped("lower_xmax")
    write_deck(m, lc, tmp_path / "wrap.inp")
    back = read_deck(tmp_path / "wrap.inp")
    f0, f1 = build_fibres(m), build_fibres(back.model)
    assert f1.n == f0.n == 2 and np.all(np.isnan(f1.end_v))
    np.testing.assert_allclose(f1.end_a, f0.end_v, atol=1e-12)  # the spring starts at V
    np.testing.assert_allclose(f1.L0, np.linalg.norm(f0.end_b - f0.end_v, axis=1), rtol=1e-12)
    # the lower block (A and V) moving rigidly, the upper one anyhow: the same elongations
    X = m.mesh.nodes
    lower = X[:, 2] < 5
    rng = np.random.default_rng(2)
    w, t = rng.normal(size=3) * 1e-3, rng.normal(size=3) * 1e-2
    u = np.where(lower[:, None], t + np.cross(w, X - [5, 4, 2]),
                 1e-2 * np.sin(X / 3.0))
    np.testing.assert_allclose(f1.B @ u.ravel(), f0.B @ u.ravel(), rtol=1e-9, atol=1e-14)
    # the law of the whole wrapped fibre (its toe strain of the path length), in mm: in the
    # toe within the table's sampling error (as above), past it exactly
    bound = f0.law.share * f0.law.K * f0.law.toe / (8 * 8**2) + 1e-9
    for delta in (np.array([0.05, 0.4]), np.array([0.7, 1.0])):
        assert np.all(np.abs(_forces(f1, delta) - _forces(f0, delta)) <= bound)
    past = np.full(2, 3.0)  # beyond the 0.1 toe strain of fibres about 14 mm long
    assert np.all(f0.law.toe / f0.law.c < 3.0)
    np.testing.assert_allclose(_forces(f1, past), _forces(f0, past), rtol=1e-12)


def _equation_rows(text: str) -> dict[int, dict[tuple[int, int], float]]:
    """{first node: {(node, dof): coefficient}} of the deck's *EQUATION blocks."""
    out = {}
    for blk in text.split("*EQUATION\n")[1:]:
        lines = blk.split("*", 1)[0].strip().splitlines()
        vals = [x.strip() for ln in lines[1:] for x in ln.split(",") if x.strip()]
        terms = [(int(vals[k]), int(vals[k + 1]), float(vals[k + 2]))
                 for k in range(0, len(vals), 3)]
        assert len(terms) == int(lines[0])
        out.setdefault(terms[0][0], {})[terms[0][1]] = {(n, d): c for n, d, c in terms[1:]}
    return out


def test_a_via_point_on_another_body_is_written_as_its_elongation(tmp_path):
    """A fibre over another bone's via point (the transverse ligament, C1 to C1 over the dens)
    is a SPRINGA from a node of its via patch to a node of its own that follows it displaced
    along x by the fibre's first-order elongation: for any displacement that elongation equals
    ours, B u; such a deck is refused on reading."""
    from fea.errors import FeaError

    m, lc = _wrapped("upper_xmax")
    write_deck(m, lc, tmp_path / "wrap.inp")
    text = (tmp_path / "wrap.inp").read_text()
    assert text.count("*ELEMENT, TYPE=SPRINGA") == 2
    fb = build_fibres(m)
    eqs = _equation_rows(text)
    own = sorted(k for k, v in eqs.items() if 1 in v and len(v[1]) > 6)  # the two fibres
    assert len(own) == 2
    rng = np.random.default_rng(5)
    u = rng.normal(size=(m.mesh.n_nodes, 3))
    row = {int(lab): i for i, lab in enumerate(m.mesh.node_ids)}
    conn = [[int(x) for x in ln.split(",")] for ln in text.split("*ELEMENT, TYPE=SPRINGA")[1:]
            for ln in [ln.split("\n")[1]]]
    for f, p in enumerate(own):
        n0 = next(a for _, a, b in conn if b == p)  # the spring runs from n0 to the fibre's node
        u_p = -sum(c * u[row[n], d - 1] for (n, d), c in eqs[p][1].items())
        assert u_p - u[row[n0], 0] == pytest.approx((fb.B @ u.ravel())[f], rel=1e-9)
        for d in (2, 3):  # its other dofs follow n0: nothing left free
            assert eqs[p][d] == {(n0, d): -1.0}
    with pytest.raises(FeaError, match=r"cannot be read back; read the model \.toml"):
        read_deck(tmp_path / "wrap.inp")


@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
def test_ccx_solves_a_fibre_over_another_body_as_we_do(tmp_path):
    """CalculiX 2.20 on the deck above (the upper block pulled up by 300 N, guided in x and y,
    held only by the two fibres wrapped over its own side face): nodal displacements within
    0.5 % of ours, through the Newton driver with the ligament term."""
    from fea.abaqus.ccx import read_dat_displacements, run_ccx
    from fea.solve_case import solve_case

    m, lc = _wrapped("upper_xmax")
    write_deck(m, lc, tmp_path / "wrap.inp")
    run = run_ccx(tmp_path / "wrap.inp", threads=1)
    (labels, u_ccx), = [(lab, u) for name, t, lab, u in read_dat_displacements(run.dat)
                        if name == "NALL" and t == 1.0]
    ref = np.zeros((m.mesh.n_nodes, 3))
    ref[np.searchsorted(m.mesh.node_ids, labels)] = u_ccx
    res = solve_case(m, lc).result
    assert res.converged
    u = res.displacement()
    assert (build_fibres(m).B @ u.ravel()).min() > 0.1  # both fibres well into their law
    rel = np.abs(u - ref).max() / np.abs(ref).max()
    print(f"\nmax |ours - ccx| / max |u| = {rel:.2e}")
    assert rel <= 5e-3