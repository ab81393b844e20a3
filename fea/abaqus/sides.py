"""A model's interfaces as a deck states them.

Our interfaces may name one side of a face set inside a conforming mesh (`SURFACE@BODY`), and the
interface solver gives the two sides of a contact interface their own nodes when it starts
(fea.contact.split). A deck has neither: a *CONTACT PAIR joins two element-face surfaces whose
nodes are distinct, and a surface has no `@`. `deck_ready(model)` returns the same model in that
form: contact sides split exactly as the interface solver splits them (copies of bodies that no
contact separates at a node, e.g. a screw through both sides, share one node again instead of a
tie row), and every interface side its own face set. The split nodes get the labels the interface
solver gives them, so a ccx result matches ours node by node. Where a contact interface's two
sides still share a node (bonded there, e.g. around a screw through the interface), the slave
faces holding it are left out of the contact pair: ccx cannot solve a pair whose sides share a
node.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..contact.sides import resolve_faces, resolve_sides
from ..contact.split import split_contact_nodes
from ..errors import FeaError
from ..mesh import Mesh
from ..model import Model


@dataclasses.dataclass
class DeckSide:
    """How one interface is written: its side face sets, and the softer E and face size of its
    sides (for the contact penalty)."""

    slave: str
    master: str
    E_soft: float
    h: float  # mean slave face size (sqrt of its area), mm
    bonded: bool  # tied, and every slave node is a master node already (a conforming mesh)
    dropped: int = 0  # slave faces left out: they hold a node of the master side


def _side_name(taken: set[str], text: str) -> str:
    base = "".join(c if c.isalnum() or c in "_-." else "_" for c in text)[:72]
    if not (base[:1].isalpha() or base[:1] == "_"):
        base = f"_{base}"[:72]
    name, k = base, 1
    while name.upper() in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name.upper())
    return name


def _merge_glued(mesh: Mesh, ties) -> Mesh:
    """Copies glued back by the split's tie rows (u_copy = u_primary) become one node again."""
    if not ties:
        return mesh
    dep = np.concatenate([t.dep[0::3] // 3 for t in ties])
    master = np.concatenate([t.cols[0::3] // 3 for t in ties])
    target = np.arange(mesh.n_nodes)
    target[dep] = master
    keep = np.ones(mesh.n_nodes, bool)
    keep[dep] = False
    new_index = np.cumsum(keep) - 1
    # only copies (indices past the original nodes) are glued away: node sets stay valid
    return mesh.with_cells([new_index[target[b.cells]] for b in mesh.blocks],
                           nodes=mesh.nodes[keep], node_ids=mesh.node_ids[keep])


def _face_size(mesh: Mesh, faces: np.ndarray) -> float:
    x = mesh.nodes[mesh.face_connectivity(faces, corners_only=True)]
    if x.shape[1] == 4:  # a quadrilateral: half the cross product of its diagonals
        area = 0.5 * np.linalg.norm(np.cross(x[:, 2] - x[:, 0], x[:, 3] - x[:, 1]), axis=1)
    else:
        area = 0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1)
    return float(np.sqrt(area).mean())


def _coincide(mesh: Mesh, a: np.ndarray, b: np.ndarray) -> bool:
    """Do faces of `a` and `b` lie on each other (the same corner nodes)?"""
    ka, kb = (np.sort(mesh.face_connectivity(f, corners_only=True), axis=1) for f in (a, b))
    if ka.shape[1] != kb.shape[1]:  # triangles never lie on quadrilaterals node for node
        return False
    both = np.concatenate([np.unique(ka, axis=0), np.unique(kb, axis=0)])
    return len(np.unique(both, axis=0)) < len(both)


def deck_ready(model: Model) -> tuple[Model, list[DeckSide]]:
    """(the model with split contact nodes and plain side face sets, one DeckSide per
    interface). A model without interfaces comes back as it is."""
    if not model.interfaces:
        return model, []
    where = f"{model.source}: interface"
    faces = [(resolve_faces(model, it.slave, f"{where} '{it.name}'"),
              resolve_faces(model, it.master, f"{where} '{it.name}'")) for it in model.interfaces]
    mesh = model.mesh
    # contact sides on one surface of a conforming mesh are split as the interface solver does
    contacts = [(it.name, resolve_sides(model, it)) for it, (a, b) in zip(model.interfaces, faces)
                if it.is_contact() and _coincide(mesh, a, b)]
    split_names = {n for n, _ in contacts}
    if contacts:
        split = split_contact_nodes(model, contacts)
        mesh = _merge_glued(split.model.mesh, split.ties)
    face_sets = dict(mesh.face_sets)
    taken = {n.upper() for n in (*mesh.face_sets, *mesh.cell_sets, *mesh.node_sets)}
    E_cell = np.zeros(mesh.n_cells)
    for sec in model.sections:
        E_cell[mesh.cell_sets[sec.cell_set]] = model.materials[sec.material].E
    out, interfaces = [], []
    for it, (slave, master) in zip(model.interfaces, faces):
        dropped = 0
        if it.name in split_names:
            # a node left on both sides (bonded there: a screw through the interface glues
            # them) makes ccx's contact elements singular: its residual stalls at 1e3 x the
            # load, whatever the penalty (measured on c2_avb). The slave faces holding such a
            # node are left out; the node itself keeps the sides together.
            shared = np.isin(mesh.face_connectivity(slave), mesh.face_connectivity(master)).any(1)
            dropped = int(shared.sum())
            if dropped == len(slave):
                raise FeaError(f"{where} '{it.name}': every slave face shares a node with the "
                               "master side; the interface cannot be written as a contact pair")
            slave = slave[~shared]
        names = []
        for text, fs in ((it.slave, slave), (it.master, master)):
            if text in face_sets and np.array_equal(face_sets[text], fs):
                names.append(text)  # a plain face set already
            else:
                names.append(_side_name(taken, text))
                face_sets[names[-1]] = fs
        s_nodes = np.unique(mesh.face_connectivity(slave))
        bonded = not it.is_contact() and bool(
            np.isin(s_nodes, mesh.face_connectivity(master)).all())
        E_soft = float(min(E_cell[slave[:, 0]].min(), E_cell[master[:, 0]].min()))
        out.append(DeckSide(names[0], names[1], E_soft, _face_size(mesh, slave), bonded, dropped))
        interfaces.append(dataclasses.replace(it, slave=names[0], master=names[1]))
    mesh = mesh.with_cells([b.cells for b in mesh.blocks], face_sets=face_sets)
    return dataclasses.replace(model, mesh=mesh, interfaces=interfaces), out
