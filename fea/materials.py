"""Linear elastic materials (MPa). Voigt order everywhere: xx, yy, zz, xy, yz, xz (engineering shear).

The named library values and their sources are in ../shared/REFERENCES.md; defaults, not truths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class LinearElastic:
    name: str
    E: float  # Young's modulus, MPa
    nu: float  # Poisson's ratio
    yield_MPa: float | None = None  # for safety factors downstream (optional)
    library: str | None = None  # the LIBRARY entry it came from (subsidence: which bone it is)

    def __post_init__(self):
        if not np.isfinite(self.E) or self.E <= 0:
            raise ConfigError(f"material '{self.name}': E must be > 0 MPa, got {self.E}")
        if not (-1.0 < self.nu < 0.5):
            raise ConfigError(
                f"material '{self.name}': Poisson ratio must satisfy -1 < nu < 0.5, got {self.nu}"
            )

    @property
    def G(self) -> float:
        return self.E / (2 * (1 + self.nu))

    def D(self) -> np.ndarray:
        """6x6 elasticity matrix, stress = D @ strain (engineering shear strains)."""
        E, nu = self.E, self.nu
        lam = E * nu / ((1 + nu) * (1 - 2 * nu))
        mu = E / (2 * (1 + nu))
        D = np.zeros((6, 6))
        D[:3, :3] = lam
        D[np.arange(3), np.arange(3)] += 2 * mu
        D[np.arange(3, 6), np.arange(3, 6)] = mu
        return D


def gibson_ashby(name: str, solid: LinearElastic, porosity: float, C1: float = 1.0,
                 n: float = 2.0, C2: float = 0.3, nu: float | None = None) -> LinearElastic:
    """Homogenised porous lattice: E = C1 rho^n Es, strength = C2 rho^1.5 sigma_ys, rho = 1 - p.

    Gibson & Ashby; C1, n, C2 depend on the cell type and the printer (REFERENCES.md: the plain
    law overestimates EBM Ti6Al4V, Parthasarathy et al. 2010), so they are parameters.
    """
    if not (0.0 < porosity < 1.0):
        raise ConfigError(f"material '{name}': porosity must be in (0, 1), got {porosity}")
    rho = 1.0 - porosity
    sy = None if solid.yield_MPa is None else C2 * rho**1.5 * solid.yield_MPa
    return LinearElastic(name, C1 * rho**n * solid.E, solid.nu if nu is None else nu, sy)


# Library defaults: (E MPa, nu, yield MPa or None, source) - see ../shared/REFERENCES.md
LIBRARY = {
    "cortical_bone": (12000.0, 0.3, None, "cervical FE tables, Eur J Med Res 2025"),
    "cancellous_bone": (450.0, 0.25, 1.9, "cervical FE tables; yield Kopperdahl & Keaveny 1998"),
    "posterior_elements": (3500.0, 0.25, None, "cervical FE tables"),
    "bony_endplate": (1000.0, 0.3, 36.7, "cervical FE tables; yield MCW cervical model"),
    "facet_cartilage": (10.0, 0.4, None, "cervical FE tables"),
    "annulus": (3.4, 0.45, None, "cervical FE tables"),
    "nucleus": (1.0, 0.49, None, "cervical FE tables"),
    "ti6al4v": (110000.0, 0.3, 795.0, "ASTM F136"),
    "peek": (3600.0, 0.38, None, "Neurospine 2024"),
    "cocr": (210000.0, 0.3, None, "lit."),
}


# Orthotropic defaults: (fea.anisotropy kind, constants in CalculiX's order, MPa; yield MPa or
# None; source). Material axis 3 is the bone's long axis: an orientation puts it along the
# vertebral axis. See ../shared/REFERENCES.md.
ORTHOTROPIC_LIBRARY = {
    # human tibial cortex, ultrasonic: c11 19.5, c22 20.1, c33 30.9, c44 5.72, c55 5.17, c66 4.05,
    # c23 12.5 GPa, with the authors' c13 = c23 and c12 = c11 - 2 c66 (Voigt 4 = 23, 5 = 13,
    # 6 = 12); gives E3 20.9 and E1 11.8 GPa, their extremes of Young's modulus
    "cortical_bone_orthotropic": (
        ("ortho", (19500.0, 11400.0, 20100.0, 12500.0, 12500.0, 30900.0, 4050.0, 5170.0,
                   5720.0)),
        None, "Hoffmeister, Smith, Handley & Rho 1994, Med Biol Eng Comput 32:640"),
}


def library_material(key: str, name: str | None = None):
    """A LIBRARY entry as LinearElastic, or an ORTHOTROPIC_LIBRARY one as AnisotropicElastic."""
    if key in ORTHOTROPIC_LIBRARY:
        from .anisotropy import AnisotropicElastic

        (kind, constants), sy, _ = ORTHOTROPIC_LIBRARY[key]
        return AnisotropicElastic(name or key, kind, constants, sy, key)
    if key not in LIBRARY:
        import difflib

        known = [*LIBRARY, *ORTHOTROPIC_LIBRARY]
        hint = difflib.get_close_matches(key, known, n=1)
        did = f" Did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"unknown library material '{key}'.{did} Known: {', '.join(known)}")
    E, nu, sy, _ = LIBRARY[key]
    return LinearElastic(name or key, E, nu, sy, key)
