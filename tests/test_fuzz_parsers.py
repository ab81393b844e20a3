"""Fuzzing the readers (issue 7, item 5): random mutations of valid model, load-case and study
files and of an Abaqus deck must either read or raise FeaError (the documented error type, with
a message naming the file) - never another exception, never a hang.

Two kinds of mutation: text (lines deleted, duplicated, swapped, truncated, replaced by random
text, values and keys replaced) and data (the parsed TOML with one entry replaced by a value of a
random type, deleted, or joined by an unknown key, written back as TOML). Every file goes through
the same reader the command line uses. The model reads a tiny mesh file (a deck), so no gmsh
meshing is done; a study is checked up to its job matrix (build_plan), which reads the models and
load cases it names.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import tomllib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fea import config as C
from fea.abaqus import read_deck
from fea.errors import FeaError
from fea.study.config import load_study
from fea.study.plan import build_plan
from fea.variants import expand_variants

EXAMPLES = int(os.environ.get("FEA_FUZZ_EXAMPLES", "150"))  # more for a longer hunt
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

MESH = """** tiny mesh file: two tetrahedra with node, element and face sets
*NODE, NSET=NALL
1, 0., 0., 0.
2, 10., 0., 0.
3, 0., 10., 0.
4, 0., 0., 10.
5, 10., 10., 10.
*ELEMENT, TYPE=C3D4, ELSET=body
1, 1, 2, 3, 4
2, 2, 3, 4, 5
*NSET, NSET=zmin
1, 2, 3
*SURFACE, NAME=zmax
2, S3
*SURFACE, NAME=base
1, S1
"""

MODEL = """[model]
name = "bar"
description = "fuzz seed"

[mesh]
file = "mesh.inp"
element_order = 1

[materials.ti]
E_MPa = 110000.0
nu = 0.3
yield_MPa = 795.0

[materials.lattice]
library = "ti6al4v"
lattice = { porosity = 0.7, C1 = 1.0, n = 2.0, C2 = 0.3 }

[[sections]]
cell_set = "body"
material = "ti"
role = "implant"
body = "bar"

[[supports]]
name = "clamp"
set = "zmin"
dofs = ["ux", "uy", "uz"]
displacement_mm = [0.0, 0.0, 0.0]

[[supports]]
ref_point = "load"
dofs = ["rz"]
rotation_deg = 0.0

[ref_points.load]
position_mm = [5.0, 5.0, 20.0]
coupling = "kinematic"
surface = "zmax"

[[interfaces]]
name = "self"
slave = "zmax"
master = "base"
law = "friction"
mu = 0.5
adjust_mm = 0.0

[variants.soft]
description = "a softer bar"
materials.ti = { E_MPa = 20000.0 }

[variants.porous]
materials.lattice = { lattice = { porosity = 0.6 } }
"""

LOADCASE = """[loadcase]
name = "flexion"
description = "fuzz seed"

[[steps]]
name = "preload"
increments = 1
loads = [{ ref_point = "load", force_N = [0.0, 0.0, -50.0] }]

[[steps]]
name = "moment"
increments = 3
replace = false
loads = [{ ref_point = "load", moment_Nm = [-1.5, 0.0, 0.0] },
         { surface = "zmax", pressure_MPa = 0.1 },
         { surface = "zmax", traction_MPa = [0.0, 0.1, 0.0] },
         { surface = "base", total_force_N = [1.0, 0.0, 0.0] },
         { node_set = "zmin", force_N = [0.0, 1.0, 0.0] }]
displacements = [{ set = "zmin", dofs = ["uz"], displacement_mm = 0.01 },
                 { ref_point = "load", dofs = ["rx"], rotation_deg = 0.5 }]
"""

STUDY = """[study]
name = "tiny"
description = "fuzz seed"
loadcases = ["flexion.toml", "ext*.toml"]
states = ["immediate", "fused"]
fused_ties = "implant"
figures = false

[[models]]
file = "bar.toml"
name = "bar"
variants = ["base", "soft"]
states = ["immediate"]
size_mm = 4.0
grid = { "materials.ti.E_MPa" = [110000.0, 50000.0], "interfaces.self.mu" = [0.3] }

[mesh]
size_mm = 5.0
element_order = 1

[solver]
backend = "auto"
rtol = 1e-8
contact = { penalty_factor = 10.0, max_newton = 30 }

[thresholds]

[reference]
published_deg = { flexion = 5.0 }
source = "a paper"

[convergence]
size_factor = 0.7
threshold_pct = 5.0
"""

DECK = """** fuzz seed: every keyword family the reader supports
*HEADING
 fuzz deck
*NODE, NSET=NALL
1, 0., 0., 0.
2, 1., 0., 0.
3, 0., 1., 0.
4, 0., 0., 1.
5, 1., 1., 1.
*INCLUDE, INPUT=more_nodes.inp
*ELEMENT, TYPE=C3D4, ELSET=SOLID
1, 1, 2, 3, 4
2, 2, 3, 4, 5
*NSET, NSET=BASE, GENERATE
1, 3, 1
*NSET, NSET=TOPN
4, 5
*ELSET, ELSET=FIRST
1
*SURFACE, NAME=S_A
1, S1
*SURFACE, NAME=S_B, TYPE=ELEMENT
2, S3
*SURFACE, NAME=S_N, TYPE=NODE
TOPN
*COUPLING, CONSTRAINT NAME=C9, REF NODE=9, SURFACE=S_B
*DISTRIBUTING
1, 6
*TIE, NAME=bond, POSITION TOLERANCE=0.05
S_A, S_B
*SURFACE INTERACTION, NAME=ROUGH
*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=HARD
*FRICTION
0.8, 5000.
*CONTACT PAIR, INTERACTION=ROUGH, TYPE=SURFACE TO SURFACE, ADJUST=0.01
S_B, S_A
*MATERIAL, NAME=TI
*ELASTIC
110000., 0.3
*DENSITY
4.4e-9
*SOLID SECTION, ELSET=SOLID, MATERIAL=TI
*BOUNDARY
BASE, 1, 3
9, 4, 6, 0.
*STEP, NAME=first
*STATIC
*CLOAD
5, 3, -10.
9, 1, 2.
*DSLOAD
S_B, P, 0.5
*DLOAD
FIRST, P1, 0.2
*NODE PRINT, NSET=NALL
U
*END STEP
*STEP, NAME=second
*STATIC
0.5, 1.
*CLOAD, OP=NEW
TOPN, 2, 1.
*BOUNDARY, OP=MOD
9, 6, 6, 0.01
*END STEP
"""
MORE_NODES = "** included\n9, 0.5, 0.5, 3.\n"

# ---------------------------------------------------------------- strategies
WORDS = ["body", "zmin", "zmax", "base", "load", "ti", "lattice", "soft", "friction", "tied",
         "frictionless", "ux", "rx", "kinematic", "bar.toml", "flexion.toml", "mesh.inp", "*",
         "materials.ti.E_MPa", "NALL", "SOLID", "S_A", "TI", "S3", "P", "GENERATE"]
TOML_VALUES = ["0", "-1", "0.0", "-0.0", "1e308", "1e-320", "nan", "inf", "-inf", "0.5", "1",
               "2", "3", "1000000000000000000000", '""', '"x"', '"zmin"', '"load"', '"ti"',
               "true", "false", "[]", "[1]", "[1, 2]", "[1, 2, 3, 4]", '["a"]', '["ux", "rz"]',
               "{}", "{ a = 1 }", "{ porosity = 2.0 }", "1979-05-27", "'single'", '"""x"""']
DECK_TOKENS = ["", "0", "-1", "1e999", "nan", "x", "1.5", "99", "9999999999", "S9", "P",
               "NALL", "BASE", "S_A", "TI", "C3D10", "TYPE=C3D8", "NSET=", "=", "*", "**",
               "GENERATE", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"]
text_line = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def text_mutation(draw, seed: str, tokens: list[str], sep: str):
    """1 to 3 line- or token-level edits of `seed`."""
    lines = seed.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "random", "insert", "truncate",
                                   "token", "key", "case"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "random":
            lines[i] = draw(text_line)
        elif op == "insert":
            lines.insert(i, draw(st.one_of(text_line, st.sampled_from(lines))))
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
            del lines[i + 1:]
        elif op == "case":
            lines[i] = lines[i].swapcase()
        else:  # replace one field (after `=` for TOML values, between commas for decks)
            parts = lines[i].split(sep)
            k = draw(st.integers(0, len(parts) - 1))
            pool = WORDS if op == "key" else tokens
            new = draw(st.one_of(st.sampled_from(pool), text_line))
            parts[k] = (" " + new) if k else new
            lines[i] = sep.join(parts)
    return "\n".join(lines)


scalars = st.one_of(
    st.booleans(), st.integers(-2**63, 2**63 - 1), st.floats(), st.sampled_from(WORDS),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12))
values = st.recursive(scalars, lambda ch: st.lists(ch, max_size=4) | st.dictionaries(
    st.sampled_from(WORDS) | st.text(min_size=1, max_size=8), ch, max_size=3), max_leaves=8)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


@st.composite
def data_mutation(draw, seed: str):
    """The seed's data with one entry replaced (by a random value of any type), deleted, or
    joined by an unknown key; 1 or 2 such edits."""
    data = tomllib.loads(seed)
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from([p for p in _paths(data) if p]))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        op = draw(st.sampled_from(["replace", "replace", "delete", "extra", "wrap"]))
        if op == "replace":
            parent[key] = draw(values)
        elif op == "delete":
            del parent[key]
        elif op == "wrap":
            parent[key] = [parent[key]]
        elif isinstance(parent[key], dict):
            parent[key][draw(st.sampled_from(WORDS))] = draw(values)
        else:
            parent[key] = draw(values)
    return to_toml(data)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")) \
            if not math.isfinite(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_str(str(k))} = {_toml_value(x)}"
                                for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(data: dict) -> str:
    """Data as TOML: top-level keys with inline tables and arrays (round-trips through tomllib)."""
    return "\n".join(f"{_toml_str(str(k))} = {_toml_value(v)}" for k, v in data.items()) + "\n"


def _toml_str(s: str) -> str:
    """A TOML basic string (JSON's escapes, minus surrogate pairs TOML does not allow)."""
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


# ---------------------------------------------------------------- the readers
@pytest.fixture(scope="module")
def folder():
    d = Path(tempfile.mkdtemp(prefix="fuzz-"))
    (d / "mesh.inp").write_text(MESH)
    (d / "bar.toml").write_text(MODEL)
    (d / "flexion.toml").write_text(LOADCASE)
    (d / "extension.toml").write_text(LOADCASE.replace('"flexion"', '"extension"'))
    (d / "study.toml").write_text(STUDY)
    (d / "deck.inp").write_text(DECK)
    (d / "more_nodes.inp").write_text(MORE_NODES)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _reads_or_fea_error(fn, path: Path) -> None:
    try:
        fn(path)
    except FeaError as exc:
        assert str(exc).strip(), "an empty message"
        msg = str(exc)  # names the file (or the included file) or quotes the entity
        assert any(f.name in msg for f in path.parent.iterdir()) or "'" in msg, msg


def _model(path: Path) -> None:
    expand_variants(path)
    C.load_model(path)


def _model_data(path: Path) -> None:
    # the same as load_model, from the parsed data (so the checks after validation also run)
    spec = C.validate(path, C.read_toml(path), C.ModelFile)
    C.model_from_spec(spec, path)


def _loadcase(path: Path) -> None:
    lc = C.load_loadcase(path)
    C.check_loadcase_against(C.load_model(path.parent / "bar.toml"), lc)


def _study(path: Path) -> None:
    build_plan(load_study(path), path.parent / "out")


def test_seeds_are_valid(folder):
    """The fuzzers start from inputs that read."""
    _model(folder / "bar.toml")
    _loadcase(folder / "flexion.toml")
    _study(folder / "study.toml")
    deck = read_deck(folder / "deck.inp")
    assert deck.model.mesh.n_cells == 2 and len(deck.loadcase.steps) == 2


def _write(folder: Path, name: str, text: str) -> Path:
    p = folder / "fuzz" / name
    p.parent.mkdir(exist_ok=True)
    for f in folder.iterdir():  # the files it may name, unmutated (an earlier example's
        if f.is_file():         # mutation of them is overwritten)
            shutil.copy(f, p.parent / f.name)
    p.write_text(text)
    return p


@FUZZ
@given(text=text_mutation(MODEL, TOML_VALUES, "="))
def test_model_file_text_mutations(folder, text):
    _reads_or_fea_error(_model, _write(folder, "bar.toml", text))


@FUZZ
@given(text=data_mutation(MODEL))
def test_model_file_wrong_types(folder, text):
    _reads_or_fea_error(_model_data, _write(folder, "bar.toml", text))


@FUZZ
@given(text=st.one_of(text_mutation(LOADCASE, TOML_VALUES, "="), data_mutation(LOADCASE)))
def test_loadcase_file_mutations(folder, text):
    _reads_or_fea_error(_loadcase, _write(folder, "flexion.toml", text))


@FUZZ
@given(text=st.one_of(text_mutation(STUDY, TOML_VALUES, "="), data_mutation(STUDY)))
def test_study_file_mutations(folder, text):
    _reads_or_fea_error(_study, _write(folder, "study.toml", text))


@FUZZ
@given(text=text_mutation(DECK, DECK_TOKENS, ","))
def test_deck_mutations(folder, text):
    _reads_or_fea_error(read_deck, _write(folder, "deck.inp", text))


@FUZZ
@given(text=text_mutation(MORE_NODES + "*NSET, NSET=EXTRA\n9\n", DECK_TOKENS, ","))
def test_included_deck_file_mutations(folder, text):
    p = _write(folder, "more_nodes.inp", text)
    _reads_or_fea_error(read_deck, p.parent / "deck.inp")
