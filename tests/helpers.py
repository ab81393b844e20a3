"""Small builders shared by the tests."""

import numpy as np

from fea.materials import LinearElastic
from fea.mesh import Mesh
from fea.model import Model, Section


def _grid(n, size, jitter, seed) -> tuple[np.ndarray, list[np.ndarray]]:
    """Grid points (interior ones jittered by jitter * h) and the 8 corner-node columns of its
    cubes in hexahedron order."""
    nx, ny, nz = n
    xs = [np.linspace(0, s, k + 1) for s, k in zip(size, n)]
    X, Y, Z = np.meshgrid(*xs, indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel(), Z.ravel()], 1)
    if jitter:
        rng = np.random.default_rng(seed)
        interior = np.all((pts > 1e-12) & (pts < np.array(size) - 1e-12), axis=1)
        h = min(s / k for s, k in zip(size, n))
        pts[interior] += jitter * h * rng.uniform(-1, 1, (interior.sum(), 3))
    idx = np.arange(len(pts)).reshape(nx + 1, ny + 1, nz + 1)
    i, j, k = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz),
                                               indexing="ij"))
    c = [idx[i + a, j + b, k + d] for a, b, d in
         [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]]
    return pts, c


def structured_box(n=(3, 3, 3), size=(1.0, 1.0, 1.0), jitter=0.0, seed=0) -> Mesh:
    """A box split into 6 positive tets per hexahedron; optional interior-node jitter."""
    pts, c = _grid(n, size, jitter, seed)
    # Kuhn subdivision of the hex along the 0-6 diagonal
    tets = [(0, 1, 2, 6), (0, 2, 3, 6), (0, 3, 7, 6), (0, 7, 4, 6), (0, 4, 5, 6), (0, 5, 1, 6)]
    cells = np.vstack([np.stack([c[a], c[b], c[cc], c[d]], 1) for a, b, cc, d in tets])
    m = Mesh(pts, cells)
    neg = m.corner_volumes() < 0
    cells[neg] = cells[neg][:, [0, 2, 1, 3]]
    m = Mesh(pts, cells, cell_sets={"body": np.arange(len(cells))})
    _box_face_sets(m, size)
    return m


def one_material_model(mesh: Mesh, E=1000.0, nu=0.3, **kw) -> Model:
    return Model("test", mesh, {"m": LinearElastic("m", E, nu)}, [Section("body", "m")], **kw)


def _box_face_sets(m: Mesh, size) -> None:
    bf = m.boundary_faces()
    on = {}
    for _, rows in m.face_groups(bf):  # one face shape at a time (wedges have two)
        fc = m.nodes[m.face_connectivity(bf[rows], corners_only=True)]
        for ax, name in enumerate("xyz"):
            for side, val in (("min", 0.0), ("max", size[ax])):
                hit = rows[np.all(np.abs(fc[:, :, ax] - val) < 1e-9, axis=1)]
                on.setdefault(f"{name}{side}", []).append(hit)
    for k, v in on.items():
        m.face_sets[k] = bf[np.sort(np.concatenate(v))]


def hex_box(n=(2, 2, 2), size=(1.0, 1.0, 1.0), cell_type="C3D8", jitter=0.0, seed=0) -> Mesh:
    """A structured box of hexahedra (C3D8, C3D8I, or C3D20/C3D20R with mid-edge nodes on straight
    edges); optional interior corner jitter (distorted elements); face sets xmin .. zmax."""
    from fea.elements.hexa import HEX20_EDGES

    pts, c = _grid(n, size, jitter, seed)
    cells = np.stack(c, 1)
    if cell_type.startswith("C3D20"):
        edges = np.sort(cells[:, HEX20_EDGES].reshape(-1, 2), axis=1)
        uniq, inv = np.unique(edges, axis=0, return_inverse=True)
        mid = 0.5 * (pts[uniq[:, 0]] + pts[uniq[:, 1]])
        cells = np.hstack([cells, len(pts) + inv.reshape(-1, 12)])
        pts = np.vstack([pts, mid])
    m = Mesh(pts, cells, cell_sets={"body": np.arange(len(cells))}, cell_type=cell_type)
    _box_face_sets(m, size)
    return m


def wedge_box(n=(2, 2, 2), size=(1.0, 1.0, 1.0), cell_type="C3D6", jitter=0.0, seed=0) -> Mesh:
    """hex_box's bricks each cut into two wedges along an xy diagonal (C3D6, or C3D15 with
    mid-edge nodes on straight edges); face sets xmin .. zmax mix triangles and quads."""
    from fea.elements.wedge import WEDGE15_EDGES

    hx = hex_box(n, size, "C3D8", jitter, seed)
    c = hx.cells
    cells = np.vstack([c[:, [0, 1, 2, 4, 5, 6]], c[:, [0, 2, 3, 4, 6, 7]]])
    pts = hx.nodes
    if cell_type == "C3D15":
        edges = np.sort(cells[:, WEDGE15_EDGES].reshape(-1, 2), axis=1)
        uniq, inv = np.unique(edges, axis=0, return_inverse=True)
        cells = np.hstack([cells, len(pts) + inv.reshape(-1, 9)])
        pts = np.vstack([pts, 0.5 * (pts[uniq[:, 0]] + pts[uniq[:, 1]])])
    m = Mesh(pts, cells, cell_sets={"body": np.arange(len(cells))}, cell_type=cell_type)
    _box_face_sets(m, size)
    return m


# a unit cube's eight nodes, Abaqus C3D8 order (decks written by tests)
CUBE_NODES = """*NODE
1, 0, 0, 0
2, 1, 0, 0
3, 1, 1, 0
4, 0, 1, 0
5, 0, 0, 1
6, 1, 0, 1
7, 1, 1, 1
8, 0, 1, 1
"""


def deck_error(path, text: str) -> str:
    """The ConfigError message of reading `text` written as the deck `path` (it must fail)."""
    import pytest

    from fea.abaqus import read_deck
    from fea.errors import ConfigError

    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        read_deck(path)
    return str(exc.value)
