"""*MPC PLANE, STRAIGHT and BEAM, read as their linearisation about the undeformed geometry.

CalculiX 2.20 (mpcs.f, planempc.f, straightmpc.f, beammpc.f, nonlinmpc.f) keeps a scalar function
of the current coordinates at its initial value:

- PLANE (nodes a, b, c, then p...): the triple product (p - c) . ((a - c) x (b - c)), one equation
  per p, dependent DOF the component of p along the largest component of the plane's normal;
- STRAIGHT (a, b, then p...): for the two j != i, (p - a)_j (a - b)_i - (p - a)_i (a - b)_j,
  i the direction of the largest component of a - b, dependent DOFs p's components j;
- BEAM (a, b): |a - b|^2, dependent DOF a's component along the largest component of a - b.

Reading one turns on NLGEOM in ccx, which then re-linearises in the deformed configuration. Its
first iteration solves exactly the gradient equations grad f . u = 0 at the undeformed
coordinates, which is what is built here (as linear equations, eliminated through the same
transformation T as *EQUATION); for small displacements the two answers agree to the order of
the strains (tests/test_mpc.py measures it against ccx). A node not on the plane or line at the
start keeps its initial distance from it, as in ccx (the function keeps its initial value).
"""

from __future__ import annotations

import numpy as np

from .lexer import Block
from .springs import RawEquation

# *MPC types and what ccx keeps constant (shown in messages and docs/abaqus.md)
MPC_MEANING = {
    "PLANE": "the nodes after the first three stay in the plane of those three",
    "STRAIGHT": "the nodes after the first two stay on the line through those two",
    "BEAM": "the distance between its two nodes stays constant",
}
MIN_NODES = {"PLANE": 4, "STRAIGHT": 3, "BEAM": 2}
ON_TOL = 1e-5  # a node's distance from its plane or line, relative to the MPC's extent


def _check_on(key: str, b: Block, labels, lines, x: np.ndarray, span: float) -> None:
    """PLANE / STRAIGHT nodes must start on their plane / line (what the type means)."""
    if key == "PLANE":
        n = np.cross(x[0] - x[2], x[1] - x[2])
        dist = np.abs((x[3:] - x[2]) @ (n / np.linalg.norm(n)))
    elif key == "STRAIGHT":
        t = (x[1] - x[0]) / np.linalg.norm(x[1] - x[0])
        rel = x[2:] - x[0]
        dist = np.linalg.norm(rel - np.outer(rel @ t, t), axis=1)
    else:
        return
    k = int(np.argmax(dist))
    if dist[k] > ON_TOL * span:
        first = MIN_NODES[key] - 1
        raise b.error(f"*MPC {key}: node {labels[first + k]} is {dist[k]:.4g} mm off the "
                      f"{'plane' if key == 'PLANE' else 'line'} of nodes "
                      f"{', '.join(map(str, labels[:first]))}; {MPC_MEANING[key]}, so they must "
                      "start on it (CalculiX 2.20 diverged on a PLANE with a node off it)",
                      int(lines[first + k]))


def linearisation_note(model, result) -> str | None:
    """The warning every output of a model with *MPC constraints carries: they were solved
    linearised; ccx's nonlinear answer differs by the order of the rotations, estimated here as
    the largest spread of displacement over an MPC's nodes divided by their spread in position
    (measured on tests/test_mpc.py's cantilever: ccx differed from ours by 1/3 to 2/3 of this
    estimate, of max |u|, at every load)."""
    eqs = [e for e in model.equations if "*MPC" in e.where]
    if not eqs:
        return None
    x = model.mesh.nodes
    worst = 0.0
    for state in result.step_ends():
        u = result.displacement(state)
        for e in eqs:  # a handful of small equations: read once per step end, not a hot path
            span = np.ptp(x[e.nodes], axis=0).max()
            worst = max(worst, float(np.ptp(u[e.nodes], axis=0).max() / span))
    return (f"*MPC (PLANE / STRAIGHT / BEAM) solved linearised about the undeformed geometry; "
            f"CalculiX solves them with NLGEOM, which differs by the order of the rotations "
            f"(here up to {worst:.2g}; relative differences of that order are expected)")


def mpc_kind(b: Block) -> tuple[str, list[tuple[int, str]]]:
    """The MPC's type (upper case) and its node entries (line, text), as ccx reads them: the type
    first on the first data line, then node numbers or node set names over any lines."""
    b.check_params(set())
    rows = b.lines()
    if not rows or not rows[0][1] or not rows[0][1][0].strip():
        raise b.error("expected a data line 'type, node, node, ...'")
    kind = rows[0][1][0].strip().upper()
    entries = [(rows[0][0], x) for x in rows[0][1][1:]]
    for line, fields in rows[1:]:
        entries += [(line, x) for x in fields]
    return kind, [(ln, x.strip()) for ln, x in entries if x.strip()]


def mpc_labels(b: Block, entries: list[tuple[int, str]], nsets) -> tuple[np.ndarray, np.ndarray]:
    """Node labels in the order given (a set expands to its members; ccx skips a 0) and the line
    each came from."""
    labels, lines = [], []
    for line, x in entries:
        if x.lstrip("-").isdigit():
            if int(x) != 0:
                labels.append(int(x))
                lines.append(line)
            continue
        _, ns = nsets.require(x, b, line)
        members = ns.labels().tolist()
        labels += members
        lines += [line] * len(members)
    return np.array(labels, np.int64), np.array(lines, np.int64)


def linearised(kind: str, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray],
                                                     list[np.ndarray]]:
    """The equations of one MPC on nodes with coordinates x (n, 3), in ccx's node order: per
    equation (node positions in x, dofs 0..2, coefficients), the dependent term first."""
    nodes, dofs, coefs = [], [], []
    if kind == "BEAM":
        d = x[0] - x[1]
        j = int(np.argmax(np.abs(d)))
        order = [j, (j + 1) % 3, (j + 2) % 3]
        nodes.append(np.array([0, 0, 0, 1, 1, 1]))
        dofs.append(np.array(order * 2))
        coefs.append(np.concatenate([d[order], -d[order]]))
    elif kind == "STRAIGHT":
        a, b = x[0], x[1]
        i = int(np.argmax(np.abs(a - b)))  # ccx's jmax: the line's main direction
        for k in range(2, len(x)):
            p = x[k]
            for j in (j for j in range(3) if j != i):
                # f = (p - a)_j (a - b)_i - (p - a)_i (a - b)_j, terms as straightmpc.f orders them
                nodes.append(np.array([k, k, 0, 0, 1, 1]))
                dofs.append(np.array([j, i, j, i, j, i]))
                coefs.append(np.array([a[i] - b[i], b[j] - a[j], b[i] - p[i], p[j] - b[j],
                                       p[i] - a[i], a[j] - p[j]]))
    elif kind == "PLANE":
        a, b, c = x[0], x[1], x[2]
        n = np.cross(a - c, b - c)
        j = int(np.argmax(np.abs(n)))  # ccx's jmax: the normal's largest component
        order = [j, (j + 1) % 3, (j + 2) % 3]
        for k in range(3, len(x)):
            p = x[k]
            # f = (p - c) . ((a - c) x (b - c)): its gradient in p, a, b and c
            ga, gb = np.cross(b - c, p - c), np.cross(p - c, a - c)
            grads = [n, ga, gb, -(n + ga + gb)]
            nodes.append(np.repeat([k, 0, 1, 2], 3))
            dofs.append(np.array(order * 4))
            coefs.append(np.concatenate([g[order] for g in grads]))
    return nodes, dofs, coefs


def read_mpc(b: Block, nsets, coords_of) -> list[RawEquation]:
    """One *MPC block as equations between node labels. `coords_of(labels, b, lines)` gives the
    (n, 3) coordinates of mesh nodes (an error naming the first label that is none)."""
    kind, entries = mpc_kind(b)
    key = next((k for k in MPC_MEANING if kind.startswith(k)), None)
    line = entries[0][0] if entries else b.line
    if key is None:
        raise b.error(f"*MPC {kind} is not supported (user or mean-rotation MPC); the types read "
                      f"are {', '.join(MPC_MEANING)}; write any other linear constraint as "
                      "*EQUATION", line)
    labels, lines = mpc_labels(b, entries, nsets)
    if len(labels) < MIN_NODES[key] or (key == "BEAM" and len(labels) != 2):
        need = "exactly 2" if key == "BEAM" else f"at least {MIN_NODES[key]}"
        raise b.error(f"*MPC {key} ({MPC_MEANING[key]}) needs {need} nodes, got "
                      f"{len(labels)}", line)
    x = coords_of(labels, b, lines)
    span = np.ptp(x, axis=0).max()
    if key == "BEAM" and np.linalg.norm(x[0] - x[1]) <= 1e-12 * max(span, 1.0):
        raise b.error(f"*MPC BEAM: nodes {labels[0]} and {labels[1]} coincide; the direction "
                      "between them is undefined", line)
    if key == "STRAIGHT" and np.linalg.norm(x[0] - x[1]) <= 1e-12 * span:
        raise b.error(f"*MPC STRAIGHT: nodes {labels[0]} and {labels[1]} coincide; they do not "
                      "define a line", line)
    if key == "PLANE" and np.linalg.norm(np.cross(x[0] - x[2], x[1] - x[2])) <= 1e-12 * span**2:
        raise b.error(f"*MPC PLANE: nodes {', '.join(map(str, labels[:3]))} are on one line; "
                      "they do not define a plane", line)
    _check_on(key, b, labels, lines, x, span)
    out = []
    for nodes, dofs, coefs in zip(*linearised(key, x)):
        keep = coefs != 0.0  # an exactly zero term ties nothing
        keep[0] = True
        out.append(RawEquation(labels[nodes[keep]], dofs[keep] + 1, coefs[keep], b,
                               int(lines[nodes[0]])))
    return out
