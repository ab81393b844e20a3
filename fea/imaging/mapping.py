"""CT-based bone moduli per element, as Bonemat does.

At each integration point of an element: HU (trilinear in the CT) -> equivalent density
rho = slope * HU + intercept (g/cm^3, the user's phantom calibration) -> modulus through a
power law E = a * rho^b (MPa; a published density-modulus law chosen per bone, docs/
patient_geometry.md), floored at E_min_MPa (rho <= 0 gives E_min). The element's modulus and
density are the integration-weighted means over its points. Optionally the moduli are binned
into N materials (equal-width bins in E, each element given its bin's mean), as Bonemat's
"gap" grouping does. Vectorised over elements; the stiffness assembly then takes one D matrix
per distinct modulus (fea.model.material_ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..elements import default_tet_rule, tet_quadrature, tet_shape
from ..errors import ConfigError
from ..materials import LinearElastic
from .volume import Volume


@dataclass(frozen=True)
class CtLaw:
    hu_to_density: tuple[float, float]  # slope (g/cm^3 per HU), intercept (g/cm^3)
    a: float  # E = a * rho^b, MPa with rho in g/cm^3
    b: float
    E_min_MPa: float
    bins: int | None = None
    yield_law: tuple[float, float] | None = None  # (a, b): compressive yield = a * rho^b MPa

    def density(self, hu: np.ndarray) -> np.ndarray:
        return self.hu_to_density[0] * hu + self.hu_to_density[1]

    def modulus(self, rho: np.ndarray) -> np.ndarray:
        return np.maximum(self.a * np.maximum(rho, 0.0) ** self.b, self.E_min_MPa)

    def strength(self, rho: np.ndarray) -> np.ndarray:
        """Compressive yield (MPa), floored where E is: at the density where the modulus law
        reaches E_min_MPa (no contact point gets zero strength)."""
        a, b = self.yield_law
        rho_floor = (self.E_min_MPa / self.a) ** (1.0 / self.b)
        return a * np.maximum(rho, rho_floor) ** b


@dataclass(frozen=True, eq=False)
class MappedMaterial(LinearElastic):
    """A bone material whose modulus varies per element; `E` is the median, for the few places
    that need one number (a contact penalty's scale, a deck export)."""

    cell_E: np.ndarray = field(default=None, repr=False)  # (n_cells,), nan off this material
    cell_density: np.ndarray = field(default=None, repr=False)  # g/cm^3
    cell_yield: np.ndarray = field(default=None, repr=False)  # MPa, with a strength law
    image: dict = field(default_factory=dict)  # de-identified description of the CT
    law: CtLaw | None = None


def integration_points(nodes: np.ndarray, cells: np.ndarray):
    """(m, q, 3) points and (q,) weights of the stiffness rule of every element."""
    nn = cells.shape[1]
    pts, w = tet_quadrature(default_tet_rule(nn))
    N, _ = tet_shape(nn, pts)
    return np.einsum("qn,mnd->mqd", N, nodes[cells]), w


def map_cells(nodes: np.ndarray, cells: np.ndarray, vol: Volume, law: CtLaw, where: str):
    """(E (m,), density (m,), yield (m,) or None) of the given elements."""
    X, w = integration_points(nodes, cells)
    hu = vol.sample(X.reshape(-1, 3)).reshape(X.shape[:2])
    bad = np.isnan(hu).any(axis=1)
    if bad.any():
        raise ConfigError(f"{where}: {int(bad.sum())} element(s) lie outside the CT image (e.g. "
                          f"near {np.round(X[np.argmax(bad), 0], 1).tolist()} mm); check that "
                          "the labels and the image share one frame")
    rho_q = law.density(hu)
    wn = w / w.sum()
    rho = rho_q @ wn
    E = law.modulus(rho_q) @ wn
    sy = law.strength(rho_q) @ wn if law.yield_law else None
    if law.bins:
        E, rho = bin_moduli(E, rho, law.bins)
    return E, rho, sy


def bin_moduli(E: np.ndarray, rho: np.ndarray, n: int):
    """Equal-width bins in E over its range; every element takes its bin's mean E and density."""
    lo, hi = float(E.min()), float(E.max())
    if hi <= lo:
        return E, rho
    k = np.minimum(((E - lo) / (hi - lo) * n).astype(np.int64), n - 1)
    cnt = np.bincount(k, minlength=n)
    mE = np.bincount(k, E, n) / np.maximum(cnt, 1)
    mr = np.bincount(k, rho, n) / np.maximum(cnt, 1)
    return mE[k], mr[k]


def map_material(name: str, base: LinearElastic, law: CtLaw, vol: Volume, mesh,
                 cells: np.ndarray, where: str) -> MappedMaterial:
    E_cell = np.full(mesh.n_cells, np.nan)
    rho_cell = np.full(mesh.n_cells, np.nan)
    y_cell = np.full(mesh.n_cells, np.nan) if law.yield_law else None
    nominal, y_nominal = law.E_min_MPa, base.yield_MPa
    if len(cells):
        E, rho, sy = map_cells(mesh.nodes, mesh.cells[cells], vol, law, where)
        E_cell[cells], rho_cell[cells] = E, rho
        nominal = float(np.median(E))
        if sy is not None:
            y_cell[cells] = sy
            y_nominal = float(np.median(sy))
    return MappedMaterial(name, nominal, base.nu, y_nominal, base.library, cell_E=E_cell,
                          cell_density=rho_cell, cell_yield=y_cell, image=vol.describe(),
                          law=law)


def cell_yield(model) -> np.ndarray | None:
    """Per element compressive yield (MPa) of CT materials with a strength law, nan elsewhere;
    None when no material has one."""
    mats = [(s, model.materials[s.material]) for s in model.sections]
    if not any(getattr(m, "cell_yield", None) is not None for _, m in mats):
        return None
    y = np.full(model.mesh.n_cells, np.nan)
    for s, m in mats:
        if getattr(m, "cell_yield", None) is not None:
            cells = model.mesh.cell_sets[s.cell_set]
            y[cells] = m.cell_yield[cells]
    return y


def stats(values: np.ndarray) -> dict:
    v = values[np.isfinite(values)]
    if not len(v):
        return {}
    return {"min": float(v.min()), "p05": float(np.percentile(v, 5)),
            "median": float(np.median(v)), "mean": float(v.mean()),
            "p95": float(np.percentile(v, 95)), "max": float(v.max())}


def ct_summary(model) -> dict:
    """Per cell set with a CT-mapped material: E and density statistics (summary.json)."""
    out = {}
    for s in model.sections:
        m = model.materials[s.material]
        if not isinstance(m, MappedMaterial):
            continue
        cells = model.mesh.cell_sets[s.cell_set]
        out[s.cell_set] = {"material": s.material, "body": s.body_name,
                           "elements": int(len(cells)),
                           "distinct_moduli": int(len(np.unique(m.cell_E[cells]))),
                           "E_MPa": stats(m.cell_E[cells]),
                           "density_g_cm3": stats(m.cell_density[cells]),
                           **({"yield_MPa": stats(m.cell_yield[cells])}
                              if m.cell_yield is not None else {}),
                           "law": {"hu_to_density": list(m.law.hu_to_density),
                                   "density_to_E": {"law": "power", "a": m.law.a, "b": m.law.b},
                                   "E_min_MPa": m.law.E_min_MPa, "bins": m.law.bins,
                                   **({"density_to_yield": {"law": "power",
                                                            "a": m.law.yield_law[0],
                                                            "b": m.law.yield_law[1]}}
                                      if m.law.yield_law else {})},
                           "image": m.image}
    return out


def cell_fields(model) -> dict[str, np.ndarray]:
    """E (every element, from its material) and CT density (nan off CT materials), for VTU."""
    n = model.mesh.n_cells
    E = np.full(n, np.nan)
    rho = np.full(n, np.nan)
    for s in model.sections:
        m = model.materials[s.material]
        cells = model.mesh.cell_sets[s.cell_set]
        if isinstance(m, MappedMaterial):
            E[cells], rho[cells] = m.cell_E[cells], m.cell_density[cells]
        else:
            E[cells] = m.E
    return {"E_MPa": E, "density_g_cm3": rho}


def map_ct_materials(spec, path, mesh, materials: dict, sections) -> dict:
    """The model file's `ct` materials mapped on the mesh (fea.config calls this)."""
    from pathlib import Path

    from .volume import read_image

    out = dict(materials)
    images: dict[tuple, Volume] = {}
    for name, m in spec.materials.items():
        if m.ct is None:
            continue
        where = f"{path}: materials.{name}.ct"
        if m.ct.image is not None:
            img, img_where = m.ct.image, f"{where}.image"
        else:
            img, img_where = spec.mesh.params.get("image"), f"{path}: mesh.params.image"
        if not img:
            raise ConfigError(f"{where}.image: no CT image: give image here or "
                              "mesh.params.image (builder 'ct')")
        key = ((Path(path).parent / img).resolve(), m.ct.show_scanner)
        if key not in images:
            images[key] = read_image(key[0], img_where, m.ct.show_scanner)
        dy = m.ct.density_to_yield
        law = CtLaw(tuple(m.ct.hu_to_density), m.ct.density_to_E.a, m.ct.density_to_E.b,
                    m.ct.E_min_MPa, m.ct.bins, (dy.a, dy.b) if dy else None)
        cells = [mesh.cell_sets[s.cell_set] for s in sections if s.material == name]
        cells = np.unique(np.concatenate(cells)) if cells else np.zeros(0, np.int64)
        out[name] = map_material(name, materials[name], law, images[key], mesh, cells, where)
    return out
