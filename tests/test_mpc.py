"""*MPC: refused, naming its type, because CalculiX does not linearise it.

CalculiX 2.20 reads PLANE, STRAIGHT and BEAM as nonlinear constraints: reading one turns on
NLGEOM for the analysis, and a step with NLGEOM=NO still iterates with the constraint re-set in
the deformed configuration (its log says so: checked below with ccx). A linear solve would give a
different answer, so the deck stops with the file, the line and the type, and the advice to write
the linearised constraint as *EQUATION.
"""

from __future__ import annotations

import re
import shutil

import pytest

from fea.abaqus import read_deck
from fea.abaqus.ccx import run_ccx
from fea.errors import ConfigError
from helpers import CUBE_NODES

CUBE = CUBE_NODES + """*ELEMENT, TYPE=C3D8, ELSET=body
1, 1, 2, 3, 4, 5, 6, 7, 8
{mpc}*MATERIAL, NAME=m
*ELASTIC
1000., 0.3
*SOLID SECTION, ELSET=body, MATERIAL=m
*BOUNDARY
1, 1, 3
2, 2, 3
4, 3, 3
*STEP, NLGEOM=NO
*STATIC
*CLOAD
7, 3, 1.
*NODE PRINT, NSET=body_nodes
U
*END STEP
"""


@pytest.mark.parametrize("mpc, expect", [
    ("*MPC\nPLANE, 1, 2, 4, 3\n", r"\*MPC PLANE \(the nodes after the first three stay in"),
    ("*MPC\nSTRAIGHT, 1, 5, 3\n", r"\*MPC STRAIGHT \(the nodes after the first two stay on the"),
    ("*MPC\nBEAM, 1, 7\n", r"\*MPC BEAM \(the distance between its two nodes stays constant"),
    ("*MPC\nMEANROT, 5, 6, 7, 8\n", r"\*MPC MEANROT is not supported"),
])
def test_mpc_is_refused_naming_its_type_file_and_line(tmp_path, mpc, expect):
    deck = tmp_path / "mpc.inp"
    deck.write_text(CUBE.format(mpc=mpc))
    with pytest.raises(ConfigError) as exc:
        read_deck(deck)
    msg = str(exc.value)
    assert re.search(r"mpc\.inp, line 13: \*MPC", msg), msg
    assert re.search(expect, msg) and "*EQUATION" in msg, msg


@pytest.mark.ccx
@pytest.mark.skipif(shutil.which("ccx") is None, reason="ccx is not installed")
def test_ccx_solves_plane_mpc_nonlinearly_even_without_nlgeom(tmp_path):
    """Why it is refused: ccx 2.20 turns NLGEOM on when it reads *MPC PLANE and, in a step with
    NLGEOM=NO, still iterates (more than one equilibrium iteration for a linear elastic cube)."""
    text = CUBE.format(mpc="*MPC\nPLANE, 1, 2, 4, 3\n").replace("NSET=body_nodes", "NSET=all")
    text = text.replace("*ELEMENT", "*NSET, NSET=all, GENERATE\n1, 8\n*ELEMENT")
    deck = tmp_path / "plane.inp"
    deck.write_text(text)
    log = run_ccx(deck, threads=1).log
    assert re.search(r"reading \*MPC: nonlinear geometric\s+effects are turned on", log)
    assert re.search(r"^\s*iteration 2\s*$", log, re.M)
    (tmp_path / "plain").mkdir()  # the same cube without the MPC: a linear solve, no iterations
    plain = tmp_path / "plain" / "plane.inp"
    plain.write_text(text.replace("*MPC\nPLANE, 1, 2, 4, 3\n", ""))
    assert not re.search(r"^\s*iteration", run_ccx(plain, threads=1).log, re.M)
