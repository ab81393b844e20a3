"""Bad decks stop with a ConfigError that names the file, the line and the keyword or name."""

from __future__ import annotations

import pytest

from fea.abaqus import read_deck
from fea.errors import ConfigError

GOOD = """** one C3D4 tetrahedron, clamped
*NODE, NSET=NALL
1, 0., 0., 0.
2, 1., 0., 0.
3, 0., 1., 0.
4, 0., 0., 1.
*ELEMENT, TYPE=C3D4, ELSET=E
1, 1, 2, 3, 4
*MATERIAL, NAME=M
*ELASTIC
1000., 0.3
*SOLID SECTION, ELSET=E, MATERIAL=M
*BOUNDARY
NALL, 1, 3
"""
STEP = "*STEP\n*STATIC\n{body}*END STEP\n"


def _line(text: str, needle: str) -> int:
    """1-based line of the first line that contains `needle`."""
    return next(i for i, ln in enumerate(text.split("\n"), 1) if needle in ln)


def _fails(tmp_path, text: str, needle: str, *words: str) -> str:
    path = tmp_path / "bad.inp"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_deck(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    assert f"line {_line(text, needle)}" in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


def test_good_deck_reads(tmp_path):
    path = tmp_path / "good.inp"
    path.write_text(GOOD)
    deck = read_deck(path)
    assert deck.model.mesh.n_cells == 1 and deck.loadcase is None


def test_unknown_keyword(tmp_path):
    msg = _fails(tmp_path, GOOD + "*FOO, BAR=1\n", "*FOO", "*FOO", "not supported")
    assert "*SOLID SECTION" in msg  # says what is supported


def test_unsupported_element_type_is_refused(tmp_path):
    # C3D8H (hybrid hexahedron) is not registered: the error names it
    # and lists the registered types
    text = GOOD.replace("TYPE=C3D4", "TYPE=C3D8H")
    _fails(tmp_path, text, "TYPE=C3D8H", "*ELEMENT", "C3D8H", "C3D4", "C3D10", "C3D8,",
           "C3D20R")


def test_missing_set(tmp_path):
    _fails(tmp_path, GOOD + "*BOUNDARY\nNOPE, 1, 3\n", "NOPE", "*BOUNDARY", "'NOPE'",
           "not defined")


def test_face_label_s7(tmp_path):
    text = GOOD + "*SURFACE, NAME=TOP\n1, S7\n"
    _fails(tmp_path, text, "1, S7", "*SURFACE", "S7", "S1, S2, S3, S4")


def test_missing_material(tmp_path):
    text = GOOD.replace("ELSET=E, MATERIAL=M", "ELSET=E, MATERIAL=STEEL")
    _fails(tmp_path, text, "MATERIAL=STEEL", "*SOLID SECTION", "'STEEL'", "material")


def test_element_with_undefined_node(tmp_path):
    text = GOOD.replace("1, 1, 2, 3, 4", "1, 1, 2, 3, 44")
    _fails(tmp_path, text, "1, 1, 2, 3, 44", "*ELEMENT", "node 44")


def test_element_with_too_few_nodes(tmp_path):
    text = GOOD.replace("TYPE=C3D4", "TYPE=C3D10")
    _fails(tmp_path, text, "1, 1, 2, 3, 4", "*ELEMENT", "expected 11 entries", "found 5")


def test_bad_number_in_node_line(tmp_path):
    text = GOOD.replace("3, 0., 1., 0.", "3, 0., one, 0.")
    _fails(tmp_path, text, ", one,", "*NODE", "'one'")


def test_unsupported_procedure(tmp_path):
    text = GOOD + "*STEP\n*DYNAMIC\n0.1, 1.\n*END STEP\n"
    _fails(tmp_path, text, "*DYNAMIC", "*DYNAMIC", "linear static")


def test_step_without_end(tmp_path):
    text = GOOD + "*STEP\n*STATIC\n*CLOAD\n2, 1, 1.\n"
    _fails(tmp_path, text, "*STEP", "*END STEP")


def test_moment_on_mesh_node(tmp_path):
    text = GOOD + STEP.format(body="*CLOAD\n2, 4, 1.\n")
    _fails(tmp_path, text, "2, 4, 1.", "*CLOAD", "reference node")


def test_generate_backwards(tmp_path):
    text = GOOD + "*NSET, NSET=A, GENERATE\n4, 1, 1\n"
    _fails(tmp_path, text, "4, 1, 1", "*NSET", "GENERATE")


def test_unknown_parameter(tmp_path):
    text = GOOD.replace("*ELASTIC", "*ELASTIC, TYPE=TRACTION")  # Abaqus's cohesive law
    _fails(tmp_path, text, "TYPE=TRACTION", "*ELASTIC", "ENGINEERING CONSTANTS")


def test_element_without_section(tmp_path):
    text = GOOD.replace("1, 1, 2, 3, 4", "1, 1, 2, 3, 4\n*ELEMENT, TYPE=C3D4\n2, 2, 3, 4, 5")
    text = text.replace("4, 0., 0., 1.", "4, 0., 0., 1.\n5, 1., 1., 1.")
    path = tmp_path / "nosec.inp"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"no \*SOLID SECTION \(e\.g\. element 2\)"):
        read_deck(path)


def test_missing_include(tmp_path):
    text = GOOD + "*INCLUDE, INPUT=loads.inp\n"
    _fails(tmp_path, text, "*INCLUDE", "*INCLUDE", "loads.inp")


def test_model_keyword_inside_step(tmp_path):
    text = GOOD + STEP.format(body="*NSET, NSET=X\n1\n")
    _fails(tmp_path, text, "NSET=X", "*NSET", "before the first *STEP")


def test_nonlinear_geometry_value_checked(tmp_path):
    # NLGEOM / NLGEOM=YES are accepted (nonlinear springs need it in CalculiX); others are not
    text = GOOD + "*STEP, NLGEOM=MAYBE\n*STATIC\n*END STEP\n"
    _fails(tmp_path, text, "*STEP, NLGEOM", "NLGEOM=MAYBE", "YES, NO")


def test_distributing_coupling_on_node_surface(tmp_path):
    text = GOOD + ("*NODE\n9, 0., 0., 2.\n*SURFACE, NAME=S, TYPE=NODE\nNALL\n"
                   "*COUPLING, CONSTRAINT NAME=C, REF NODE=9, SURFACE=S\n*DISTRIBUTING\n1, 6\n")
    _fails(tmp_path, text, "*COUPLING", "*COUPLING", "element-face surface")


def test_error_inside_included_file_names_that_file(tmp_path):
    (tmp_path / "more_nodes.inp").write_text("** extra nodes\n5, 1., 1., 1.\n6, 2., x2, 2.\n")
    text = GOOD.replace("4, 0., 0., 1.\n", "4, 0., 0., 1.\n*INCLUDE, INPUT=more_nodes.inp\n")
    path = tmp_path / "main.inp"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_deck(path)
    msg = str(info.value)
    assert f"{tmp_path / 'more_nodes.inp'}, line 3" in msg and "'x2'" in msg, msg


@pytest.mark.parametrize("data, words", [
    ("", ("LINEAR needs one data line", "slope K")),
    ("-5.\n", ("slope K = -5.0", "must be > 0")),
    ("stiff\n", ("the first entry is the slope K",)),
])
def test_linear_pressure_overclosure_needs_a_positive_slope(tmp_path, data, words):
    """CalculiX's penalty law (what `export` writes) reads back; a missing or bad slope names
    the line."""
    head = "*SURFACE INTERACTION, NAME=I\n*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=LINEAR\n"
    good = tmp_path / "good.inp"
    good.write_text(GOOD + head + "2000., 0.1\n*FRICTION\n0.5, 20.\n")
    assert read_deck(good).model.mesh.n_cells == 1
    text = GOOD + head + data + "*FRICTION\n0.5\n"
    _fails(tmp_path, text, "*SURFACE BEHAVIOR" if not data else data.strip(),
           "*SURFACE BEHAVIOR", *words)


def test_change_solid_section_refused_with_its_reason(tmp_path):
    text = GOOD + ("*MATERIAL, NAME=M2\n*ELASTIC\n2000., 0.3\n*STEP\n*STATIC\n"
                   "*CHANGE SOLID SECTION, ELSET=E, MATERIAL=M2\n*END STEP\n")
    _fails(tmp_path, text, "*CHANGE SOLID SECTION", "*CHANGE SOLID SECTION", "one stiffness for "
           "all its steps", "one deck per material state")


def test_mpc_inside_a_step_is_model_data(tmp_path):
    text = GOOD + "*STEP\n*STATIC\n*MPC\nBEAM, 1, 2\n*END STEP\n"
    _fails(tmp_path, text, "*MPC", "*MPC", "model data")


def test_set_naming_itself_adds_its_members_once(tmp_path):
    """A set line may name the set itself (its members so far): read as Abaqus reads it, not
    as an endless expansion (a fuzzed deck exhausted the memory before)."""
    path = tmp_path / "self.inp"
    path.write_text(GOOD.replace("*BOUNDARY", "*NSET, NSET=TOPN\n1, 2\nTOPN, 3\n*BOUNDARY"))
    mesh = read_deck(path).model.mesh
    assert sorted(mesh.node_ids[mesh.node_sets["TOPN"]].tolist()) == [1, 2, 3]
